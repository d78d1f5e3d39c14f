/**
 * A task is the pool's unit of work: one batch of items on its way to a worker, with the callbacks that answer
 * whoever submitted it. This file also holds what happens to the batch a worker was running when it died.
 *
 * Which item of a batch killed a worker is unknown (it had no time to say), so the batch is split and each item
 * re-run on its own, then retried a bounded number of times: the bad item fails alone, its neighbours are
 * answered, and nothing is answered twice. From Erlang's "let it crash" with a supervisor that restarts.
 * Try: concur demo fan-out
 */
import { describeReason, type ExitReason } from '../../process/supervision.js';
import type { BatchItems } from './batch-items.js';
import { ResultBatch, type ItemResult } from './results.js';

/** One batch in the pool's queue or in flight on a worker. */
export interface Task {
  id: number;
  /** Its items: their indexes, their text, and the form they travel in. */
  items: BatchItems;
  /** Times it was running on a worker that died (failed attempts). */
  attempts: number;
  /** Retries used: re-runs after its worker died while running it alone. */
  retried: number;
  /** The recorder's number for the message that carried it to its worker (0 when not recording). */
  msg?: number;
  done: (batch: ResultBatch) => void;
  fail: (error: Error) => void;
}

/** "500ms", "10s", "1.5s", "2m": a timeout as the user wrote it. */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${Math.round(ms / 100) / 10}s`;
  return `${ms}ms`;
}

/**
 * The running batch of a dead worker: returns the tasks to put back at the front of the queue, or none when the
 * task is answered here (a single item that has used its `retries`: it fails with the reason its worker died).
 * A batch of several is split into single items: isolation, not yet a retry, so one bad item never fails its
 * neighbours. `newId` numbers the new tasks. `why` replaces "worker N died…" when the pool killed the worker
 * itself (an item ran past its timeout: "timed out after 10s").
 */
export function recover(
  task: Task,
  retries: number,
  dead: { worker: number; pid: number },
  reason: ExitReason,
  newId: () => number,
  why = `worker ${dead.worker} (pid ${dead.pid}) died while running this item: ${describeReason(reason)}`,
): Task[] {
  const attempts = task.attempts + 1;
  const { items } = task;
  if (items.length > 1) {
    const results = new Array<ItemResult>(items.length);
    let left = items.length;
    return items.split().map((single, i) => ({
      id: newId(),
      items: single,
      attempts,
      retried: task.retried,
      done: (answer) => {
        results[i] = answer.results()[0] as ItemResult;
        if (--left === 0) task.done(new ResultBatch(items, { results }));
      },
      fail: task.fail,
    }));
  }
  if (task.retried < retries) return [{ ...task, attempts, retried: task.retried + 1 }];
  const result: ItemResult = {
    index: items.indexes[0] as number,
    input: items.inputs[0] as string,
    error: attempts > 1 ? `${why} (${attempts} attempts)` : why,
    worker: dead.worker,
    pid: dead.pid,
    attempts,
  };
  task.done(new ResultBatch(items, { results: [result] }));
  return [];
}
