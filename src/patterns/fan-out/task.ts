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
import { ResultBatch, type ItemResult } from './results.js';

/** One batch in the pool's queue or in flight on a worker. */
export interface Task {
  id: number;
  indexes: number[];
  inputs: string[];
  /** Times it was running on a worker that died (failed attempts). */
  attempts: number;
  /** Retries used: re-runs after its worker died while running it alone. */
  retried: number;
  /** Items without newlines travel joined into one string. */
  plain: boolean;
  /** The items already joined with '\n' (a slice of the input as read), when the reader had it. */
  text?: string;
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
  if (task.inputs.length > 1) {
    const results = new Array<ItemResult>(task.inputs.length);
    let left = task.inputs.length;
    return task.inputs.map((input, i) => ({
      id: newId(),
      indexes: [task.indexes[i] as number],
      inputs: [input],
      attempts,
      retried: task.retried,
      plain: task.plain,
      text: input,
      done: (single) => {
        results[i] = single.results()[0] as ItemResult;
        if (--left === 0) task.done(new ResultBatch(task.indexes, task.inputs, { results }));
      },
      fail: task.fail,
    }));
  }
  if (task.retried < retries) return [{ ...task, attempts, retried: task.retried + 1 }];
  const result: ItemResult = {
    index: task.indexes[0] as number,
    input: task.inputs[0] as string,
    error: attempts > 1 ? `${why} (${attempts} attempts)` : why,
    worker: dead.worker,
    pid: dead.pid,
    attempts,
  };
  task.done(new ResultBatch(task.indexes, task.inputs, { results: [result] }));
  return [];
}
