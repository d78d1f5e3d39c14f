import { describe, expect, it } from 'vitest';
import { BatchItems } from '../../../src/patterns/fan-out/batch-items.js';
import { ResultBatch, type ItemResult } from '../../../src/patterns/fan-out/results.js';
import { recover, type Task } from '../../../src/patterns/fan-out/task.js';

// A task whose answer (or failure) the test can read back.
function task(inputs: string[], fields: Partial<Task> = {}): Task & { answer?: ResultBatch } {
  const made: Task & { answer?: ResultBatch } = {
    id: 1,
    items: BatchItems.of(
      inputs.map((_, i) => 20 + i),
      inputs,
    ),
    attempts: 0,
    retried: 0,
    done: (batch) => (made.answer = batch),
    fail: () => {},
    ...fields,
  };
  return made;
}

const dead = { worker: 2, pid: 50 };
const killed = { kind: 'signal', signal: 'SIGKILL' } as const;

describe('recover: the batch a dead worker was running', () => {
  it('splits a batch of several into single items, none counted as a retry yet', () => {
    let id = 100;
    const parent = task(['a', 'b', 'c']);
    const singles = recover(parent, 1, dead, killed, () => id++);
    expect(
      singles.map(({ id, items, attempts, retried }) => ({
        id,
        indexes: items.indexes,
        inputs: items.inputs,
        attempts,
        retried,
      })),
    ).toEqual([
      { id: 100, indexes: [20], inputs: ['a'], attempts: 1, retried: 0 },
      { id: 101, indexes: [21], inputs: ['b'], attempts: 1, retried: 0 },
      { id: 102, indexes: [22], inputs: ['c'], attempts: 1, retried: 0 },
    ]);
  });

  it('answers the original batch, in its order, once every single item is answered', () => {
    let id = 1;
    const parent = task(['a', 'b']);
    const singles = recover(parent, 1, dead, killed, () => id++);
    const answer = (single: Task, output: string): void =>
      single.done(new ResultBatch(single.items, { text: output, worker: 3, pid: 60, attempts: 2 }));
    answer(singles[1] as Task, 'B');
    expect(parent.answer).toBeUndefined();
    answer(singles[0] as Task, 'A');
    expect(parent.answer?.results()).toEqual([
      { index: 20, input: 'a', output: 'A', worker: 3, pid: 60, attempts: 2 },
      { index: 21, input: 'b', output: 'B', worker: 3, pid: 60, attempts: 2 },
    ]);
  });

  it('splits a batch of lines read as bytes into one batch per line, each still bytes', () => {
    const bytes = Buffer.from('a\n\nκαλη\r\nlast');
    const parent: Task & { answer?: ResultBatch } = {
      ...task([]),
      items: BatchItems.lines(7, 4, bytes),
    };
    parent.done = (batch) => (parent.answer = batch);
    let id = 1;
    const singles = recover(parent, 1, dead, killed, () => id++);
    expect(singles.map(({ items }) => items.bytes?.toString())).toEqual(['a\n', '\n', 'καλη\r\n', 'last']);
    expect(singles.map(({ items }) => [items.indexes, items.inputs])).toEqual([
      [[7], ['a']],
      [[8], ['']],
      [[9], ['καλη\r']],
      [[10], ['last']],
    ]);
    for (const single of singles)
      single.done(
        new ResultBatch(single.items, {
          bytes: Buffer.from(`${single.items.inputs[0] ?? ''}!\n`),
          worker: 1,
          pid: 2,
          attempts: 2,
        }),
      );
    expect(parent.answer?.results().map((result) => [result.index, result.output])).toEqual([
      [7, 'a!'],
      [8, '!'],
      [9, 'καλη\r!'],
      [10, 'last!'],
    ]);
  });

  it('retries a single item while it has retries left', () => {
    const single = task(['a'], { attempts: 1 });
    const again = recover(single, 1, dead, killed, () => 9);
    expect(
      again.map(({ id, items, attempts, retried }) => ({ id, inputs: items.inputs, attempts, retried })),
    ).toEqual([{ id: 1, inputs: ['a'], attempts: 2, retried: 1 }]);
    expect(single.answer).toBeUndefined();
  });

  it('fails a single item that has used its retries, saying which worker died and how', () => {
    const single = task(['a'], { attempts: 2, retried: 1 });
    expect(recover(single, 1, dead, killed, () => 9)).toEqual([]);
    const expected: ItemResult = {
      index: 20,
      input: 'a',
      error: 'worker 2 (pid 50) died while running this item: killed by SIGKILL (3 attempts)',
      worker: 2,
      pid: 50,
      attempts: 3,
    };
    expect(single.answer?.results()).toEqual([expected]);
    expect(single.answer?.failed).toBe(1);
  });

  it('with no retries, fails a single item on its first death without counting attempts in the message', () => {
    const single = task(['a']);
    expect(recover(single, 0, dead, { kind: 'exit', code: 3 }, () => 9)).toEqual([]);
    expect(single.answer?.results()[0]?.error).toBe(
      'worker 2 (pid 50) died while running this item: exit code 3',
    );
  });
});
