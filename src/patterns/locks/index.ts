/**
 * `concur-patterns/locks`: a mutex between worker threads (Atomics.wait/notify on a SharedArrayBuffer), what
 * goes wrong without it, and deadlock between tasks and between processes with its cures. Try: concur demo locks
 */
export { Mutex } from './mutex.js';
export { writeSharedLog, type LogRun } from './shared-log.js';
export { tasksWaitingOnEachOther, peersTalk, type PeerOutcome } from './deadlock.js';
