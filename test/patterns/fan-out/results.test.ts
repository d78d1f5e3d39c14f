import { describe, expect, it } from 'vitest';
import { itemResults, ResultBatch } from '../../../src/patterns/fan-out/results.js';

describe('ResultBatch', () => {
  it('a joined answer: the text as it came, and one ItemResult per line only when asked', () => {
    const batch = new ResultBatch([3, 4], ['a', 'b'], { text: 'A\nB', worker: 2, pid: 99, attempts: 1 });
    expect(batch.length).toBe(2);
    expect(batch.failed).toBe(0);
    expect(batch.outputText()).toBe('A\nB');
    const results = batch.results();
    expect(results).toEqual([
      { index: 3, input: 'a', output: 'A', worker: 2, pid: 99, attempts: 1 },
      { index: 4, input: 'b', output: 'B', worker: 2, pid: 99, attempts: 1 },
    ]);
    expect(batch.results()).toBe(results);
  });

  it('keeps an empty output line as an output', () => {
    const batch = new ResultBatch([0, 1], ['a', 'b'], { text: '\nB', worker: 1, pid: 5, attempts: 1 });
    expect(batch.results().map((result) => result.output)).toEqual(['', 'B']);
  });

  it('per-item results: counts the failures and joins only the outputs that succeeded', () => {
    const results = itemResults(
      [0, 1, 2],
      ['a', 'b', 'c'],
      { outputs: ['A', null, 'C'], failures: [{ offset: 1, message: 'boom' }] },
      { worker: 1, pid: 7, attempts: 2 },
    );
    const batch = new ResultBatch([0, 1, 2], ['a', 'b', 'c'], { results });
    expect(batch.failed).toBe(1);
    expect(batch.outputText()).toBe('A\nC');
    expect(batch.results()).toBe(results);
  });
});

describe('itemResults', () => {
  it('builds one result per item, with the field order that --json prints', () => {
    const results = itemResults(
      [10, 11, 12],
      ['a', 'b', 'c'],
      { outputs: ['A', null, ''], failures: [{ offset: 1, message: 'the worker threw' }] },
      { worker: 3, pid: 42, attempts: 1 },
    );
    expect(results.map((result) => JSON.stringify(result))).toEqual([
      '{"index":10,"input":"a","output":"A","worker":3,"pid":42,"attempts":1}',
      '{"index":11,"input":"b","worker":3,"pid":42,"attempts":1,"error":"the worker threw"}',
      '{"index":12,"input":"c","output":"","worker":3,"pid":42,"attempts":1}',
    ]);
  });

  it('ignores a failure whose offset is outside the batch', () => {
    const results = itemResults(
      [0],
      ['a'],
      { outputs: ['A'], failures: [{ offset: 5, message: 'stray' }] },
      { worker: 1, pid: 1, attempts: 1 },
    );
    expect(results).toEqual([{ index: 0, input: 'a', output: 'A', worker: 1, pid: 1, attempts: 1 }]);
  });
});
