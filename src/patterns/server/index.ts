/**
 * `concur-patterns/server`: concurrency from the ground up. Generator tasks on a select-style loop serve
 * several connections; a CPU-heavy request stalls them all unless a process pool takes it. Try: concur demo server
 */
export { startServer, type Server, type ServerRun } from './server.js';
export { FibPool } from './pool.js';
export { fib } from './fib.js';
