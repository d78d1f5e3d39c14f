/**
 * `concur-patterns/server`: concurrency from the ground up (Beazley's aserver.py): generator tasks serving
 * connections on one thread, and a process pool that keeps CPU work off it. Try: concur demo server
 */
export { startServer, type Server, type ServerRun } from './server.js';
export { FibPool } from './pool.js';
export { fib } from './fib.js';
export type { ToPoolWorker, FromPoolWorker, ToClient, FromClient } from './protocol.js';
