/**
 * The whole conversation of a distributed fan-out, in one place. There are no direct channels between the
 * coordinator (`concur fan-out --broker`) and the worker hosts (`concur worker`): they meet in a BullMQ queue.
 *
 *   coordinator → queue → host   a job whose data is a `ToHost` batch: lines of text, nothing else
 *   host → queue → coordinator   the job's return value, a `FromHost` result
 *   queue → coordinator          BullMQ's own events about jobs (`QueueEvent`): completed, failed, stalled
 *
 * Items are data, never code: no message names a module. A host runs only the module on its own command line.
 * Both sides import these types only; nothing else is shared.
 * Try: concur demo distributed
 */

/** Every concur key in Redis starts with this (BullMQ's `prefix`), apart from other BullMQ applications. */
export const KEY_PREFIX = 'concur';

/** The queue both sides use when `--queue` is not given. */
export const DEFAULT_QUEUE = 'concur';

/** Job data: a batch of consecutive items from one run. */
export interface BatchJob {
  type: 'batch';
  /** The run's id: every job id of the run starts with it (no ':' — BullMQ's key separator). */
  run: string;
  /** Index (in the run's input) of the first item; the others follow consecutively. */
  first: number;
  /** The items: lines of text. */
  inputs: string[];
}

/** Sent by the coordinator (as job data). One kind today; the union leaves room for more. */
export type ToHost = BatchJob;

/**
 * A job's return value: per item, in the batch's order, as columns rather than one object per item, so a batch
 * of 4096 lines costs 4096 strings and a few arrays of small numbers, not 4096 objects.
 */
export interface BatchResult {
  type: 'results';
  /** The host that ran the batch (its `--name`). */
  host: string;
  /** The output of each item, or null when it failed. */
  outputs: (string | null)[];
  /** The items that failed: position in the batch and a one-line reason (as local fan-out reports them). */
  failures: { offset: number; message: string }[];
  /**
   * Who ran the items, run-length encoded in batch order: `[count, worker, pid, attempts]` says the next `count`
   * items ran on pool process `worker` (1-based) with that PID, each started `attempts` times (more than 1 after
   * a pool process crashed under it). A pool runs a batch in a few consecutive parts, so this stays short.
   */
  runs: [count: number, worker: number, pid: number, attempts: number][];
  /** Milliseconds the host spent on the batch: the coordinator sizes the next batches from it. */
  elapsedMs: number;
  /** The host's PID, and when it began and finished the batch (epoch ms, src/trace/clock.ts): for traces. */
  pid?: number;
  startedAt?: number;
  endedAt?: number;
}

/** Sent by a host (as the job's return value). */
export type FromHost = BatchResult;

/** What BullMQ's event stream tells the coordinator about one of its jobs. */
export type QueueEvent =
  /** A host finished the job: here are the results (taken once per job id; a repeat is ignored). */
  | { type: 'completed'; jobId: string; result: FromHost }
  /** The job failed on every attempt (a host's pool broke, or it stalled too often): its items fail. */
  | { type: 'failed'; jobId: string; reason: string }
  /** A host stopped renewing the job's lock (it died): BullMQ moved the job back to wait for another host. */
  | { type: 'stalled'; jobId: string }
  /** A host took the job. */
  | { type: 'active'; jobId: string };
