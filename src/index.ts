/**
 * concur's library API: the patterns, usable from your own code. Re-exports only.
 */
export { ConcurError, UsageError, ExitCode, signalExitCode } from './process/errors.js';
export { terminalPolicy, type TerminalPolicy } from './terminal/output.js';
export { track, killAll, exitOnSignals } from './process/children.js';
export { exitWithParent, guard } from './process/lifeline.js';
export {
  SpinnerProcess,
  withSpinner,
  withInProcessSpinner,
  type SpinnerOptions,
  type SpinnerRun,
  type Progress,
} from './patterns/spinner/spinner.js';
export { spinCommand, type SpinCommandOptions, type SpinCommandResult } from './patterns/spinner/command.js';
export type { ToSpinner, FromSpinner, SpinnerStats, SpinnerStyle } from './patterns/spinner/protocol.js';
export {
  EventLog,
  recorder,
  type ConcurEvent,
  type EventKind,
  type EventData,
  type ProcessRef,
  type ChildLike,
} from './trace/events.js';
export { epochNow } from './trace/clock.js';
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
} from './patterns/supervisor/supervisor.js';
export { KvClient, startKvManager, type KvAddress, type KvManager } from './patterns/actors/actors.js';
export type { KvRequest, KvReply, KvValue } from './patterns/actors/protocol.js';
export { WorkQueue, runFarm, STOP, type FarmEvent } from './patterns/queue/work-queue.js';
export type { Task, TaskFunction } from './patterns/queue/protocol.js';
export {
  countWithThreads,
  probeProcessSharing,
  type CountRun,
  type ProbeResult,
} from './patterns/shared-memory/shared-memory.js';
export type { CountMode } from './patterns/shared-memory/protocol.js';
export { runCpuWork, type CpuRun, type WorkerKind } from './patterns/threads/threads.js';
export {
  overlapWaits,
  measureLateness,
  type OverlapRun,
  type LatenessRun,
} from './patterns/async/event-loop.js';
export { seededRandom } from './work/random.js';
export {
  runPipeline,
  stageChildPath,
  type PipelineOptions,
  type PipelineResult,
  type StageInfo,
  type StageReport,
} from './patterns/pipeline/pipeline.js';
export type { ToStage, FromStage, StageStats } from './patterns/pipeline/protocol.js';
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
} from './modules/contract.js';
export {
  isThenable,
  type StageForm,
  type StageGenerator,
  type AsyncStageGenerator,
  type LoadOptions,
} from './modules/contract.js';
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
} from './patterns/coroutine/coroutine.js';
export {
  chainStages,
  runStages,
  type StageChain,
  type StageCounts,
  type ChunkWriter,
  type LineCoroutine,
  type Pending,
} from './patterns/coroutine/stages.js';
export { sendTo, grepInChild, coroutineChildPath, type ChildRun } from './patterns/coroutine/coprocess.js';
export type { ToCoroutineChild, FromCoroutineChild } from './patterns/coroutine/protocol.js';
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
} from './patterns/scheduler/scheduler.js';
export { WorkerPool, type PoolEvent, type PoolOptions } from './patterns/fan-out/pool.js';
export { ResultBatch, type ItemResult } from './patterns/fan-out/results.js';
export { BatchSizer } from './patterns/fan-out/sizer.js';
export type { StreamOptions } from './patterns/fan-out/fan-in.js';
export { map, type MapOptions } from './patterns/fan-out/map.js';
export type { ToWorker, FromWorker, ItemFailure } from './patterns/fan-out/protocol.js';
export { lineChunks, LineDecoder, type LineCount } from './modules/lines.js';
export {
  map as distributedMap,
  stream as distributedStream,
  type DistributedMapOptions,
  type CoordinatorEvent,
} from './patterns/distributed/coordinator.js';
export type { DistributedItemResult } from './patterns/distributed/encoding.js';
export {
  serveQueue,
  DEFAULT_LOCK_MS,
  type WorkerHost,
  type WorkerHostOptions,
  type HostEvent,
} from './patterns/distributed/host.js';
export type {
  ToHost,
  FromHost,
  BatchJob,
  BatchResult,
  BatchFailure,
  JobState,
  ModuleId,
} from './patterns/distributed/protocol.js';
export { parseBrokerUrl, checkQueueName, type BrokerAddress } from './patterns/distributed/redis.js';
