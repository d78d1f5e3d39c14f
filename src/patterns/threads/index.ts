/**
 * `concur-patterns/threads`: the same CPU work on worker threads and on forked processes, measured: start-up,
 * memory and throughput. Try: concur demo threads
 */
export { runCpuWork, type CpuRun, type WorkerKind } from './threads.js';
export type { ToCpuWorker, FromCpuWorker } from './protocol.js';
