/**
 * concur's library API: the patterns, usable from your own code. Re-exports only.
 */
export { ConcurError, UsageError, ExitCode, signalExitCode } from './errors.js';
export { terminalPolicy, type TerminalPolicy } from './output.js';
export { track, killAll, exitOnSignals } from './process/children.js';
export { exitWithParent, guard } from './process/lifeline.js';
export {
  SpinnerProcess,
  withSpinner,
  withInProcessSpinner,
  type SpinnerOptions,
  type SpinnerRun,
  type Progress,
} from './patterns/spinner.js';
export { spinCommand, type SpinCommandOptions, type SpinCommandResult } from './patterns/spinner-command.js';
export type { ToSpinner, FromSpinner, SpinnerStats, SpinnerStyle } from './protocol/spinner.js';
export { EventLog, type ConcurEvent, type EventKind } from './events.js';
export { patterns, findPattern, type Pattern } from './registry.js';
export { countPrimes, isPrime } from './work/primes.js';
export {
  WorkerPool,
  ResultBatch,
  BatchSizer,
  map,
  type ItemResult,
  type PoolEvent,
  type PoolOptions,
  type StreamOptions,
  type MapOptions,
} from './patterns/fan-out.js';
export type { ToWorker, FromWorker, ItemFailure } from './protocol/fan-out.js';
export { lineChunks, type LineCount } from './lines.js';
export { builtins, loadStage, resolveModule } from './contract.js';
export {
  map as distributedMap,
  stream as distributedStream,
  serveQueue,
  checkQueueName,
  DEFAULT_LOCK_MS,
  type DistributedItemResult,
  type DistributedMapOptions,
  type CoordinatorEvent,
  type WorkerHost,
  type WorkerHostOptions,
  type HostEvent,
} from './patterns/distributed.js';
export type { ToHost, FromHost, BatchJob, BatchResult, QueueEvent } from './protocol/distributed.js';
export { parseBrokerUrl, type BrokerAddress } from './broker/redis.js';
