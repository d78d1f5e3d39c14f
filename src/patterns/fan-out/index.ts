/**
 * `concur-patterns/fan-out`: a pool of worker processes that maps lines through a module, in order or as they
 * finish, restarting workers that die and re-running only their items (Python's Pool.imap with Erlang's crash
 * handling). Try: concur demo fan-out
 */
export { WorkerPool, type PoolEvent, type PoolOptions } from './pool.js';
export type { ItemResult } from './results.js';
export type { StreamOptions } from './fan-in.js';
export { map, type MapOptions } from './map.js';
export {
  runCommands,
  CommandRun,
  type CommandResult,
  type CommandEvent,
  type JobInfo,
  type RunCommandsOptions,
} from './commands.js';
export type { ToFanOutWorker, FromFanOutWorker, ItemFailure, BatchTimes } from './protocol.js';
