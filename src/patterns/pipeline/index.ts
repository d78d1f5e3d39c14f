/**
 * `concur-patterns/pipeline`: line stages as processes joined by OS pipes, each on its own core, with the
 * kernel's backpressure; control messages travel beside the data on IPC. Try: concur demo pipeline
 */
export {
  runPipeline,
  PipelineError,
  type PipelineOptions,
  type PipelineResult,
  type StageInfo,
  type StageReport,
} from './pipeline.js';
export type { ToStage, FromStage, StageStats } from './protocol.js';
export {
  StageError,
  type StageFunction,
  type StageResult,
  type StageGenerator,
  type AsyncStageGenerator,
} from '../../modules/contract.js';
