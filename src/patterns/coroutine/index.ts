/**
 * `concur-patterns/coroutine`: generator coroutines that receive values (Beazley's "A Curious Course on
 * Coroutines and Concurrency"): priming, push pipelines, broadcast, close/throw; the line-stage engine behind
 * `concur coroutine`; and the same grep coroutine run in a child process. Try: concur demo coroutine
 */
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
} from './coroutine.js';
export { runStages, type StageCounts, type ChunkWriter } from './stages.js';
export { sendTo, grepInChild, type ChildRun } from './coprocess.js';
export type { ToCoroutineChild, FromCoroutineChild } from './protocol.js';
export {
  loadStage,
  StageError,
  type Stage,
  type StageFunction,
  type StageResult,
  type StageGenerator,
  type AsyncStageGenerator,
  type LoadOptions,
} from '../../modules/contract.js';
