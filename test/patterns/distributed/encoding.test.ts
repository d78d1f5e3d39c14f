import { describe, expect, it } from 'vitest';
import { checkBatch, decodeResults, encodeResults } from '../../../src/patterns/distributed/encoding.js';
import type { BatchResult, ModuleId } from '../../../src/patterns/distributed/protocol.js';
import type { ItemResult } from '../../../src/patterns/fan-out/results.js';

const MALFORMED = 'malformed batch: expected {type: "batch", run, first, inputs: string[]}';

describe('checkBatch', () => {
  it('accepts a well-formed batch as it is', () => {
    const data = { type: 'batch', run: 'r1', first: 4096, inputs: ['a', ''] };
    expect(checkBatch(data)).toBe(data);
  });

  it.each([
    ['null', null],
    ['a string', 'batch'],
    ['another type', { type: 'results', run: 'r1', first: 0, inputs: [] }],
    ['no run', { type: 'batch', first: 0, inputs: [] }],
    ['a fractional first', { type: 'batch', run: 'r1', first: 1.5, inputs: [] }],
    ['a first given as a string', { type: 'batch', run: 'r1', first: '0', inputs: [] }],
    ['inputs that are not an array', { type: 'batch', run: 'r1', first: 0, inputs: 'a\nb' }],
    ['an input that is not a string', { type: 'batch', run: 'r1', first: 0, inputs: ['a', 2] }],
  ])('refuses %s', (_, data) => {
    expect(checkBatch(data)).toBe(MALFORMED);
  });
});

const MODULE: ModuleId = { name: 'upper', sha256: 'ab12' };

const pool: ItemResult[] = [
  { index: 0, input: 'a', output: 'A', worker: 1, pid: 11, attempts: 1 },
  { index: 1, input: 'b', output: 'B', worker: 1, pid: 11, attempts: 1 },
  { index: 2, input: 'c', error: 'boom', worker: 2, pid: 12, attempts: 1 },
  { index: 3, input: 'd', output: '', worker: 2, pid: 13, attempts: 2 },
];

describe('encodeResults', () => {
  it('sends outputs, failures and run-length runs of [count, worker, pid, attempts]', () => {
    expect(encodeResults('j1', 'h1', MODULE, pool, 12.5)).toEqual({
      type: 'results',
      job: 'j1',
      host: 'h1',
      module: MODULE,
      outputs: ['A', 'B', null, ''],
      failures: [{ offset: 2, message: 'boom' }],
      runs: [
        [2, 1, 11, 1],
        [1, 2, 12, 1],
        [1, 2, 13, 2],
      ],
      elapsedMs: 12.5,
    });
  });
});

describe('decodeResults', () => {
  const batch = { first: 100, inputs: ['a', 'b', 'c', 'd'] };

  it("gives one result per item, numbered from the batch's first, with the host; --json field order", () => {
    const items = decodeResults(batch, encodeResults('j1', 'h1', MODULE, pool, 1));
    expect(items?.map((item) => JSON.stringify(item))).toEqual([
      '{"index":100,"input":"a","output":"A","worker":1,"pid":11,"attempts":1,"host":"h1"}',
      '{"index":101,"input":"b","output":"B","worker":1,"pid":11,"attempts":1,"host":"h1"}',
      '{"index":102,"input":"c","error":"boom","worker":2,"pid":12,"attempts":1,"host":"h1"}',
      '{"index":103,"input":"d","output":"","worker":2,"pid":13,"attempts":2,"host":"h1"}',
    ]);
  });

  it('says "no output" for a null output that no failure explains', () => {
    const result: BatchResult = {
      type: 'results',
      job: 'j',
      host: 'h',
      module: MODULE,
      outputs: [null],
      failures: [],
      runs: [[1, 1, 5, 1]],
      elapsedMs: 0,
    };
    expect(decodeResults({ first: 0, inputs: ['x'] }, result)).toEqual([
      { index: 0, input: 'x', error: 'no output', worker: 1, pid: 5, attempts: 1, host: 'h' },
    ]);
  });

  it('refuses a result that does not fit the batch', () => {
    const good = encodeResults('j1', 'h1', MODULE, pool, 1);
    const bad: unknown[] = [
      null,
      { ...good, type: 'other' },
      { ...good, outputs: good.outputs.slice(1) },
      { ...good, failures: undefined },
      { ...good, runs: [[3, 1, 11, 1]] },
      { ...good, runs: [4] },
      { ...good, runs: [[4, 1, 11]] },
      { ...good, runs: [[4, 1, '11', 1]] },
      { ...good, failures: [null] },
      { ...good, failures: [{ offset: 2 }] },
    ];
    for (const result of bad) expect(decodeResults(batch, result as BatchResult)).toBeUndefined();
  });

  it('stops a run at the end of the batch', () => {
    const result = { ...encodeResults('j1', 'h1', MODULE, pool, 1), runs: [[9, 1, 11, 1]] } as BatchResult;
    expect(decodeResults(batch, result)?.map((item) => item.index)).toEqual([100, 101, 102, 103]);
  });
});
