import { describe, expect, it } from 'vitest';
import {
  decodeBatch,
  decodeResults,
  encodeBatch,
  encodeRecord,
  encodeResults,
  parseRecord,
} from '../../../src/patterns/distributed/encoding.js';
import type { BatchResult, BatchTextResult, ModuleId } from '../../../src/patterns/distributed/protocol.js';
import { ResultBatch, type ItemResult } from '../../../src/patterns/fan-out/results.js';

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
  const batch = { first: 100, count: 4, inputs: ['a', 'b', 'c', 'd'] };

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
    expect(decodeResults({ first: 0, count: 1, inputs: ['x'] }, result)).toEqual([
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

describe('joined results', () => {
  const joined = (text: string, worker: number, pid: number, n: number): ResultBatch =>
    new ResultBatch(
      Array.from({ length: n }, (_, k) => k),
      Array.from({ length: n }, () => 'x'),
      { text, worker, pid, attempts: 1 },
    );

  const written = (bytes: string, worker: number, pid: number, n: number): ResultBatch =>
    new ResultBatch(
      Array.from({ length: n }, (_, k) => k),
      Array.from({ length: n }, () => 'x'),
      { bytes: Buffer.from(bytes), worker, pid, attempts: 1 },
    );

  it('a host sends joined parts as one text of lines, with their runs merged', () => {
    const parts = [joined('A\nB', 1, 11, 2), joined('C', 1, 11, 1), joined('D', 2, 12, 1)];
    expect(encodeBatch('j1', 'h1', MODULE, parts, 3)).toEqual({
      type: 'results-text',
      job: 'j1',
      host: 'h1',
      module: MODULE,
      lines: 'A\nB\nC\nD\n',
      runs: [
        [3, 1, 11, 1],
        [1, 2, 12, 1],
      ],
      elapsedMs: 3,
    });
  });

  it('a host puts parts that came back as bytes together as bytes, never decoded', () => {
    const parts = [written('A\nB\n', 1, 11, 2), joined('C', 1, 11, 1), written('\xff\n', 2, 12, 1)];
    const result = encodeBatch('j1', 'h1', MODULE, parts, 3) as BatchTextResult;
    expect(Buffer.from(result.lines)).toEqual(Buffer.from('A\nB\nC\n\xff\n'));
    expect(result.runs).toEqual([
      [3, 1, 11, 1],
      [1, 2, 12, 1],
    ]);
  });

  it('a host sends columns when any part is not joined (an item failed)', () => {
    const failed = new ResultBatch([0], ['c'], {
      results: [{ index: 0, input: 'c', error: 'boom', worker: 2, pid: 12, attempts: 1 }],
    });
    const result = encodeBatch('j1', 'h1', MODULE, [joined('A\nB', 1, 11, 2), failed], 1);
    expect(result.type).toBe('results');
    expect((result as BatchResult).outputs).toEqual(['A', 'B', null]);
    expect((result as BatchResult).failures).toEqual([{ offset: 2, message: 'boom' }]);
  });

  const text: BatchTextResult = {
    type: 'results-text',
    job: 'j1',
    host: 'h1',
    module: MODULE,
    lines: 'A\nB\nC\n',
    runs: [
      [2, 1, 11, 1],
      [1, 2, 12, 2],
    ],
    elapsedMs: 1,
  };
  const batch = { first: 100, count: 3, text: 'a\nb\nc', inputs: ['a', 'b', 'c'] };

  it('the coordinator keeps the lines as they came, and makes items (with the host) only when asked', () => {
    const decoded = decodeBatch(batch, { ...text, lines: Buffer.from('A\nB\nC\n') });
    expect(decoded?.failed).toBe(0);
    expect(decoded?.outputLines()).toEqual(Buffer.from('A\nB\nC\n'));
    expect(decoded?.outputText()).toBe('A\nB\nC');
    expect(decoded?.results().map((item) => JSON.stringify(item))).toEqual([
      '{"index":100,"input":"a","output":"A","worker":1,"pid":11,"attempts":1,"host":"h1"}',
      '{"index":101,"input":"b","output":"B","worker":1,"pid":11,"attempts":1,"host":"h1"}',
      '{"index":102,"input":"c","output":"C","worker":2,"pid":12,"attempts":2,"host":"h1"}',
    ]);
  });

  it('the coordinator refuses a text that does not fit the batch', () => {
    for (const bad of [
      { ...text, lines: 'A\nB\n' },
      { ...text, lines: 'A\nB\nC\nD\n' },
      { ...text, lines: 'A\nB\nC' },
      { ...text, lines: Buffer.from('A\nB\nC\nD\n') },
      { ...text, lines: undefined },
      { ...text, runs: [[2, 1, 11, 1]] },
      { ...text, runs: [[3, 1, 11]] },
    ])
      expect(decodeBatch(batch, bad as BatchTextResult)).toBeUndefined();
  });

  it('a record is a line of JSON, followed by the lines as they are', () => {
    const encoded = encodeRecord({ ...text, lines: 'A "quoted"\nB\\\nC\n' }) as string;
    expect(encoded.split('\n')[0]).not.toContain('quoted');
    expect(parseRecord(encoded)).toEqual({ ...text, lines: 'A "quoted"\nB\\\nC\n' });
    // Bytes stay bytes both ways: what Redis hands the coordinator is written as it is.
    const bytes = encodeRecord({ ...text, lines: Buffer.from('A\n\xff\nC\n', 'latin1') });
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(parseRecord(bytes)).toEqual({ ...text, lines: Buffer.from('A\n\xff\nC\n', 'latin1') });
    const columns = encodeResults('j1', 'h1', MODULE, pool, 1);
    expect(parseRecord(encodeRecord(columns))).toEqual(columns);
    // Only a results-text record has anything after its first line.
    expect(parseRecord(`${JSON.stringify(columns)}\nA`)).toBeUndefined();
    expect(parseRecord('not json')).toBeUndefined();
  });
});
