/**
 * `concur-patterns/locks`: a mutex between worker threads (Atomics.wait/notify), threads writing one log without
 * and with it, and deadlock between tasks and between processes. Try: concur demo locks
 */
export { Mutex } from './mutex.js';
export { writeSharedLog, type LogRun } from './shared-log.js';
export { tasksWaitingOnEachOther, peersTalk, type PeerOutcome } from './deadlock.js';
export type { WriterData, FromWriter, ToPeer, FromPeer } from './protocol.js';
