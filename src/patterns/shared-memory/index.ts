/**
 * `concur-patterns/shared-memory`: worker threads sharing a SharedArrayBuffer (racing, then fixed by Atomics, then
 * replaced by messages), and what happens when a shared buffer is sent to a process. Try: concur demo
 * shared-memory
 */
export { countWithThreads, probeProcessSharing, type CountRun, type ProbeResult } from './shared-memory.js';
export type { CountMode, FromCounterThread, ToProbe, FromProbe } from './protocol.js';
