import { describe, expect, it } from 'vitest';
import {
  checkBatch,
  decodeBatch,
  decodeResults,
  inputsOf,
  keyProblem,
  withLines,
  type CheckedBatch,
  encodeBatch,
  encodeRecord,
  encodeResults,
  parseRecord,
} from '../../../src/patterns/distributed/encoding.js';
import type { BatchResult, BatchTextResult, ModuleId } from '../../../src/patterns/distributed/protocol.js';
import { ResultBatch, type ItemResult } from '../../../src/patterns/fan-out/results.js';

const MALFORMED = 'malformed batch: expected {type: "batch", run, first, inputs: string[]}';

describe('checkBatch', () => {
  it('accepts a well-formed batch, its items as they are', () => {
    const data = { type: 'batch', run: 'r1', first: 4096, inputs: ['a', ''] };
    expect(checkBatch(data)).toEqual({ run: 'r1', first: 4096, count: 2, inputs: data.inputs });
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

describe('checkBatch, batch-text', () => {
  it('keeps the text as the bytes of its lines, each ending in a newline, split only when asked', () => {
    const data = { type: 'batch-text', run: 'r1', first: 7, count: 3, text: 'a\n\né' };
    const batch = checkBatch(data) as CheckedBatch;
    expect(batch).toEqual({ run: 'r1', first: 7, count: 3, bytes: Buffer.from('a\n\né\n') });
    expect(inputsOf(batch)).toEqual(['a', '', 'é']);
  });

  it.each([
    ['no count', { type: 'batch-text', run: 'r1', first: 0, text: 'a' }],
    ['a count of 0', { type: 'batch-text', run: 'r1', first: 0, count: 0, text: '' }],
    ['text that is not a string', { type: 'batch-text', run: 'r1', first: 0, count: 1, text: ['a'] }],
  ])('refuses %s', (_, data) => {
    expect(checkBatch(data)).toBe('malformed batch: expected {type: "batch-text", run, first, count, text}');
  });

  it('refuses text whose lines do not match its count, and a count over the limit before splitting', () => {
    expect(checkBatch({ type: 'batch-text', run: 'r', first: 0, count: 2, text: 'a\nb\nc' })).toBe(
      'malformed batch: its text holds 3 lines, its count says 2',
    );
    expect(checkBatch({ type: 'batch-text', run: 'r', first: 0, count: 70_000, text: 'a' })).toMatch(
      /^batch too large: 70000 lines/,
    );
  });
});

describe('checkBatch, batch-key', () => {
  const data = { type: 'batch-key', run: 'rk', first: 5, count: 2, key: 'concur:q:run:rk:batch:7' };

  it("reads only its own run's batch keys", () => {
    const batch = checkBatch(data) as CheckedBatch;
    expect(keyProblem(batch, 'concur:q:run:rk')).toBeUndefined();
    for (const key of [
      'concur:q:secret',
      'concur:q:run:rkk:batch:7',
      'concur:q:run:rk:batch:7:x',
      'concur:q:run:rk:batch:',
    ])
      expect(keyProblem({ ...batch, key }, 'concur:q:run:rk')).toMatch(
        /its key is not one of run rk's batch keys/,
      );
  });

  it('takes the bytes when their lines match the count, each ending in a newline', () => {
    const batch = checkBatch(data) as CheckedBatch;
    expect(withLines(batch, Buffer.from('a\n\xff\n', 'latin1'))).toEqual({
      run: 'rk',
      first: 5,
      count: 2,
      bytes: Buffer.from('a\n\xff\n', 'latin1'),
    });
    expect(withLines(batch, Buffer.from('a\nb'))).toMatch(/its key holds 1 line, its count says 2/);
    expect(withLines(batch, undefined)).toMatch(/lines are gone/);
    expect(withLines(batch, 40_000_000)).toMatch(/^batch too large: 40000000 bytes/);
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
