import { describe, expect, it } from 'vitest';
import {
  checkBatch,
  inputsOf,
  keyProblem,
  withLines,
  type CheckedBatch,
} from '../../../src/patterns/distributed/job-data.js';

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
