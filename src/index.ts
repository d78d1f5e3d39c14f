/**
 * concur's library API: the patterns, usable from your own code. Re-exports only, and exactly what the README
 * documents. Each pattern is also its own entry point (`concur-patterns/fan-out`, `concur-patterns/spinner`, …,
 * see src/patterns/<name>/index.ts) which adds the messages of its protocol. Importing this module loads no
 * terminal code (chalk, ora) and decides nothing about the terminal: a spinner asks when it starts.
 */

// Errors and exit codes.
export {
  ConcurError,
  UsageError,
  OutputError,
  InputError,
  ExitCode,
  signalExitCode,
} from './process/errors.js';
export { terminalPolicy, type TerminalPolicy } from './terminal/policy.js';

// Process discipline: no child outlives its parent (src/process/README.md).
export { track, killAll, exitOnSignals } from './process/children.js';
export { exitWithParent, guard } from './process/lifeline.js';
export { monitor, terminate, describeReason, type Down, type ExitReason } from './process/supervision.js';

// Work to keep a CPU busy.
export { countPrimes, isPrime } from './work/primes.js';

// spinner
export {
  SpinnerProcess,
  withSpinner,
  withInProcessSpinner,
  type SpinnerOptions,
  type SpinnerRun,
  type Progress,
} from './patterns/spinner/spinner.js';
export { spinCommand, type SpinCommandOptions, type SpinCommandResult } from './patterns/spinner/command.js';

// coroutine: generator coroutines, and the line-stage engine behind `concur coroutine`
export {
  prime,
  coroutine,
  pushAll,
  filter,
  mapCoroutine,
  grep,
  sink,
  collect,
  broadcast,
  close,
  throwInto,
  type Coroutine,
} from './patterns/coroutine/coroutine.js';
export { runStages, type StageCounts, type ChunkWriter } from './patterns/coroutine/stages.js';

// The module contract every stage and worker follows (src/modules/README.md).
export {
  loadStage,
  StageError,
  type Stage,
  type StageFunction,
  type StageResult,
  type StageGenerator,
  type AsyncStageGenerator,
  type LoadOptions,
} from './modules/contract.js';

// scheduler
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

// pipeline
export {
  runPipeline,
  PipelineError,
  type PipelineOptions,
  type PipelineResult,
  type StageInfo,
  type StageReport,
} from './patterns/pipeline/pipeline.js';
export type { StageStats } from './patterns/pipeline/protocol.js';

// fan-out
export { WorkerPool, type PoolEvent, type PoolOptions } from './patterns/fan-out/pool.js';
export type { ItemResult } from './patterns/fan-out/results.js';
export type { StreamOptions } from './patterns/fan-out/fan-in.js';
export { map, type MapOptions } from './patterns/fan-out/map.js';
export {
  runCommands,
  CommandRun,
  type CommandResult,
  type CommandEvent,
  type JobInfo,
  type RunCommandsOptions,
} from './patterns/fan-out/commands.js';

// supervisor
export {
  Supervisor,
  forkLinked,
  type ChildSpec,
  type RestartType,
  type Strategy,
  type SupervisorEvent,
  type SupervisorExit,
  type SupervisorOptions,
} from './patterns/supervisor/supervisor.js';

// actors
export { KvClient, startKvManager, type KvAddress, type KvManager } from './patterns/actors/actors.js';
export type { KvValue } from './patterns/actors/protocol.js';

// queue
export { WorkQueue, runFarm, STOP, type FarmEvent } from './patterns/queue/work-queue.js';
export type { QueueTask, TaskFunction } from './patterns/queue/protocol.js';

// shared-memory
export {
  countWithThreads,
  probeProcessSharing,
  type CountRun,
  type ProbeResult,
} from './patterns/shared-memory/shared-memory.js';
export type { CountMode } from './patterns/shared-memory/protocol.js';

// threads
export { runCpuWork, type CpuRun, type WorkerKind } from './patterns/threads/threads.js';

// async
export {
  overlapWaits,
  measureLateness,
  type OverlapRun,
  type LatenessRun,
} from './patterns/async/event-loop.js';

// distributed (BullMQ is loaded only when a run starts)
export {
  map as distributedMap,
  stream as distributedStream,
  streamLines as distributedStreamLines,
  type DistributedItemResult,
  type DistributedMapOptions,
  type CoordinatorEvent,
} from './patterns/distributed/coordinator.js';
export {
  serveQueue,
  type WorkerHost,
  type WorkerHostOptions,
  type HostEvent,
} from './patterns/distributed/host.js';

// Events, traces and timelines (src/trace/README.md).
export {
  recorder,
  type EventLog,
  type ConcurEvent,
  type EventKind,
  type EventData,
  type ProcessRef,
} from './trace/events.js';
export { epochNow } from './trace/clock.js';
export { buildModel, type RunModel } from './trace/model.js';
export { chromeTrace, type ChromeTrace, type TraceEvent } from './trace/chrome.js';
export { renderTimeline, type TimelineOptions } from './trace/timeline.js';
