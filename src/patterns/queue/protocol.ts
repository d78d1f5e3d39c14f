/**
 * The conversation between a task queue (in the parent) and the workers of a farm, after Python's
 * mp_workers.py. A worker asks for work (`get`); the queue answers with a task or the STOP sentinel.
 * Each finished task comes back as a `result` (the done queue). A worker that gets STOP exits normally.
 * Try: concur demo queue
 */
import { isNumber, messageGuard, type Fields } from '../../process/messages.js';

/** The functions a worker knows: mp_workers' mul and plus. */
export type TaskFunction = 'mul' | 'plus';

/** One unit of work: call `func(...args)`, after pretending to be busy for `delayMs`. */
export interface QueueTask {
  index: number;
  func: TaskFunction;
  args: [number, number];
  delayMs: number;
}

/** Sent by the queue to a worker. */
export type ToQueueWorker = { type: 'task'; task: QueueTask } | { type: 'STOP' };

/** Sent by a worker: ask for the next item, or hand back a result. */
export type FromQueueWorker =
  { type: 'get'; worker: number } | { type: 'result'; worker: number; task: QueueTask; result: number };

// A task a worker can compute: a function it knows, two numbers, a delay.
function isQueueTask(value: unknown): value is QueueTask {
  if (typeof value !== 'object' || value === null) return false;
  const task = value as Fields;
  return (
    isNumber(task.index) &&
    (task.func === 'mul' || task.func === 'plus') &&
    Array.isArray(task.args) &&
    task.args.length === 2 &&
    task.args.every(isNumber) &&
    isNumber(task.delayMs)
  );
}

/** A well-formed message from the queue to a worker. */
export const isToQueueWorker = messageGuard<ToQueueWorker>({
  task: (m) => isQueueTask(m.task),
  STOP: () => true,
});

/** A well-formed message from a worker to the queue. */
export const isFromQueueWorker = messageGuard<FromQueueWorker>({
  get: (m) => isNumber(m.worker),
  result: (m) => isNumber(m.worker) && isQueueTask(m.task) && isNumber(m.result),
});
