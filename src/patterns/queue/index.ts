/**
 * `concur-patterns/queue`: a worker/queue farm with a STOP sentinel, CPython's mp_workers.py in Node: tasks on a
 * queue, worker processes pulling them, results arriving unordered. Try: concur demo queue
 */
export { WorkQueue, runFarm, STOP, type FarmEvent } from './work-queue.js';
export type { QueueTask, TaskFunction, ToQueueWorker, FromQueueWorker } from './protocol.js';
