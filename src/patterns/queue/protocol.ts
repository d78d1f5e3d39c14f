/**
 * The conversation between a task queue (in the parent) and the workers of a farm, after Python's
 * mp_workers.py. A worker asks for work (`get`); the queue answers with a task or the STOP sentinel.
 * Each finished task comes back as a `result` (the done queue). A worker that gets STOP exits normally.
 * Try: concur demo queue
 */

/** The functions a worker knows: mp_workers' mul and plus. */
export type TaskFunction = 'mul' | 'plus';

/** One unit of work: call `func(...args)`, after pretending to be busy for `delayMs`. */
export interface Task {
  index: number;
  func: TaskFunction;
  args: [number, number];
  delayMs: number;
}

/** Sent by the queue to a worker. */
export type ToQueueWorker = { type: 'task'; task: Task } | { type: 'STOP' };

/** Sent by a worker: ask for the next item, or hand back a result. */
export type FromQueueWorker =
  { type: 'get'; worker: number } | { type: 'result'; worker: number; task: Task; result: number };
