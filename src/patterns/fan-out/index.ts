/**
 * `concur-patterns/fan-out`: a pool of worker processes that maps lines through a module, in order or as they
 * finish, restarting workers that die and re-running only their items (Python's Pool.imap with Erlang's crash
 * handling). Try: concur demo fan-out
 */
export {
  WorkerPool,
  map,
  type ItemResult,
  type PoolEvent,
  type PoolOptions,
  type StreamOptions,
  type MapOptions,
} from './pool.js';
export type { ToWorker, FromWorker, ItemFailure, BatchTimes } from './protocol.js';
