/**
 * The whole conversation of a distributed fan-out, in one place. There are no direct channels between the
 * coordinator (`concur fan-out --broker`) and the worker hosts (`concur worker`): they meet in a BullMQ queue.
 *
 *   coordinator → queue → host        a job whose data is a `ToHost` batch: lines of text, nothing else
 *                                     (`batch-key`: the lines' bytes under a key of the run beside the
 *                                     queue, the usual form; `batch-text`: joined in one string)
 *   host → run's list → coordinator   a `FromHost` record: the batch's results (`results-text`: the outputs
 *                                     joined, when every item succeeded; `results-bytes`: each command
 *                                     job's stdout exactly, from a command host), or why the host failed it.
 *                                     The list (store.ts) keeps it until the coordinator pops it; the job's
 *                                     own return value is only a count, so BullMQ's event stream holds no
 *                                     payload
 *   queue → coordinator               what the coordinator sees by looking (`JobState`): a job gone from the
 *                                     queue without a record, or stalled (its host stopped renewing the lock)
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

/**
 * The same batch as one string: the items joined with '\n' (so none may hold a newline, as no line read from
 * input does). One JSON string to encode and parse instead of thousands, and the text of a batch of lines is a
 * slice of the input as read: what the coordinator sends for strings (`map`, `stream`) when no item holds a
 * newline.
 */
export interface BatchTextJob {
  type: 'batch-text';
  run: string;
  first: number;
  /** How many items `text` holds: its newlines plus one. */
  count: number;
  text: string;
}

/**
 * The same batch with its lines beside the job, not in it: the bytes of the lines as read (each ending in \n)
 * wait under their own key of the run (store.ts) until the coordinator has the batch's result. Job data is JSON
 * that BullMQ copies through its scripts; a megabyte of lines there is escaped at every newline, parsed and
 * copied again on every move. Under a key it is stored and read as bytes, once: what `concur fan-out` sends.
 */
export interface BatchKeyJob {
  type: 'batch-key';
  run: string;
  first: number;
  /** How many lines the key holds: its newlines. */
  count: number;
  /** The key: `concur:<queue>:run:<run>:batch:<n>` (a host reads no other). */
  key: string;
}

/** Sent by the coordinator (as job data). */
export type ToHost = BatchJob | BatchTextJob | BatchKeyJob;

/** What every results record carries besides the outputs: which batch, who ran it, and when. */
export interface ResultHeader {
  /** The job's id (`<run>-<n>`): records arrive in any order, and a batch run twice arrives twice. */
  job: string;
  /** The host that ran the batch (its `--name`). */
  host: string;
  /** The code that produced the outputs: every host of a run must run the same. */
  module: ModuleId;
  /**
   * Who ran the items, run-length encoded in batch order: `[count, worker, pid, attempts]` says the next `count`
   * items ran on pool process `worker` (1-based) with that PID, each started `attempts` times (more than 1 after
   * a pool process crashed under it). A pool runs a batch in a few consecutive parts, so this stays short.
   */
  runs: [count: number, worker: number, pid: number, attempts: number][];
  /** Milliseconds the host spent on the batch, from taking it to its results (its share, when it ran others). */
  elapsedMs: number;
  /**
   * Milliseconds the pool's processes spent on the batch's items (their recent cost per item, times the items):
   * what the coordinator sizes the next batches from. Without it, it sizes them from `elapsedMs`.
   */
  busyMs?: number;
  /** The host's PID, and when it began and finished the batch (epoch ms, src/trace/clock.ts): for traces. */
  pid?: number;
  startedAt?: number;
  endedAt?: number;
}

/**
 * A batch's results, per item in the batch's order, as columns rather than one object per item, so a batch of
 * 4096 lines costs 4096 strings and a few arrays of small numbers, not 4096 objects.
 */
export interface BatchResult extends ResultHeader {
  type: 'results';
  /** The output of each item, or null when it failed. */
  outputs: (string | null)[];
  /** The items that failed: position in the batch and a one-line reason (as local fan-out reports them). */
  failures: { offset: number; message: string }[];
}

/**
 * Every item succeeded and no output holds a newline: the outputs, each followed by '\n', as one text for the
 * whole batch (the bytes of the pool's answers, put together). It travels after the record's JSON header line,
 * as it is, and the coordinator writes those bytes out as they came: per-item results are made only for `--json`.
 */
export interface BatchTextResult extends ResultHeader {
  type: 'results-text';
  lines: string | Uint8Array;
}

/**
 * A command host's results (`concur worker -- <command>`): each job's stdout exactly as the job wrote it, bytes
 * and all (none added, none taken off, empty when it printed nothing), base64 so that any bytes survive the
 * JSON. The coordinator writes them one after another, as local `concur fan-out -- <command>` writes its jobs'.
 */
export interface BatchBytesResult extends ResultHeader {
  type: 'results-bytes';
  /** Each item's stdout in base64, in the batch's order: a failed job's too (its last attempt's), as locally. */
  stdout: string[];
  /** The items whose job failed: position in the batch and a one-line reason. */
  failures: { offset: number; message: string }[];
}

/**
 * Which worker module a host runs: its name on the host's command line and the sha256 of its file. A command
 * host (`concur worker -- <command>`) sends `command: <template>` and the sha256 of the template (work-id.ts).
 */
export interface ModuleId {
  name: string;
  sha256: string;
}

/** A batch the host refused at once (data of the wrong shape, or too large): its items fail, nothing retries. */
export interface BatchFailure {
  type: 'failed';
  job: string;
  host: string;
  reason: string;
}

/** Sent by a host: appended to the run's result list (store.ts), popped by the coordinator. */
export type FromHost = BatchResult | BatchTextResult | BatchBytesResult | BatchFailure;

/** What the coordinator learns about one of its jobs by looking at the queue (once a second while it waits). */
export type JobState =
  /** The job's hash is gone and no record came for it: it failed and was removed (stalled too often). */
  | { type: 'gone'; jobId: string }
  /** A host stopped renewing the job's lock (died or froze): BullMQ moved it back to wait for another host. */
  | { type: 'stalled'; jobId: string; count: number };
