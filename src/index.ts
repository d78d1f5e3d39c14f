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
export {
  EventLog,
  recorder,
  type ConcurEvent,
  type EventKind,
  type EventData,
  type ProcessRef,
  type ChildLike,
} from './events.js';
export { epochNow } from './clock.js';
export {
  buildModel,
  rowsOf,
  type RunModel,
  type Life,
  type Span,
  type Flow,
  type Row,
} from './trace/model.js';
export { chromeTrace, type ChromeTrace, type TraceEvent } from './trace/chrome.js';
export { renderTimeline, type TimelineOptions } from './trace/timeline.js';
export { patterns, findPattern, type Pattern } from './registry.js';
export { countPrimes, isPrime } from './work/primes.js';
export {
  monitor,
  terminate,
  describeReason,
  reasonExitCode,
  RestartIntensity,
  type Down,
  type ExitReason,
} from './process/supervision.js';
export {
  Supervisor,
  forkLinked,
  strategies,
  type ChildSpec,
  type RestartType,
  type Strategy,
  type SupervisorEvent,
  type SupervisorExit,
  type SupervisorOptions,
} from './patterns/supervisor.js';
export { KvClient, startKvManager, type KvAddress, type KvManager } from './patterns/actors.js';
export type { KvRequest, KvReply, KvValue } from './protocol/kv.js';
export { WorkQueue, runFarm, STOP, type FarmEvent } from './patterns/work-queue.js';
export type { Task, TaskFunction } from './protocol/queue.js';
export {
  countWithThreads,
  probeProcessSharing,
  type CountRun,
  type ProbeResult,
} from './patterns/shared-memory.js';
export type { CountMode } from './protocol/shared-memory.js';
export { runCpuWork, type CpuRun, type WorkerKind } from './patterns/threads.js';
export { overlapWaits, measureLateness, type OverlapRun, type LatenessRun } from './patterns/event-loop.js';
export { seededRandom } from './work/random.js';
export {
  runPipeline,
  stageChildPath,
  type PipelineOptions,
  type PipelineResult,
  type StageInfo,
  type StageReport,
} from './patterns/pipeline.js';
export type { ToStage, FromStage, StageStats } from './protocol/pipeline.js';
export {
  builtins,
  linesOf,
  loadStage,
  resolveModule,
  StageError,
  stageLabel,
  failureMessage,
  type StageRef,
  type Stage,
  type StageFunction,
  type StageResult,
} from './contract.js';
export {
  isThenable,
  type StageForm,
  type StageGenerator,
  type AsyncStageGenerator,
  type LoadOptions,
} from './contract.js';
export {
  prime,
  coroutine,
  pushAll,
  filter,
  // `map` is the fan-out pool's; the coroutine stage that maps each value is exported under this name.
  map as mapCoroutine,
  grep,
  sink,
  collect,
  broadcast,
  close,
  throwInto,
  type Coroutine,
} from './patterns/coroutine.js';
export {
  chainStages,
  runStages,
  type StageChain,
  type StageCounts,
  type ChunkWriter,
  type LineCoroutine,
  type Pending,
} from './patterns/coroutine-stages.js';
export { sendTo, grepInChild, coroutineChildPath, type ChildRun } from './patterns/coroutine-process.js';
export type { ToCoroutineChild, FromCoroutineChild } from './protocol/coroutine.js';
export {
  Scheduler,
  getTid,
  newTask,
  killTask,
  waitTask,
  sleep,
  readWait,
  writeWait,
  awaitPromise,
  type SchedulerOptions,
  type SystemCall,
  type TaskBody,
  type TaskExit,
  type TaskId,
} from './patterns/scheduler.js';
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
export { lineChunks, LineDecoder, type LineCount } from './lines.js';
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
