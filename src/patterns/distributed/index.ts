/**
 * `concur-patterns/distributed`: fan-out over many machines through Redis with BullMQ: a coordinator sends
 * batches of lines, worker hosts run them in their own pools, and a lost host's batches go to another. BullMQ is
 * loaded only when a run starts. Try: concur demo distributed
 */
export {
  map as distributedMap,
  stream as distributedStream,
  streamLines as distributedStreamLines,
  type DistributedItemResult,
  type DistributedMapOptions,
  type CoordinatorEvent,
} from './coordinator.js';
export {
  serveQueue,
  DEFAULT_LOCK_MS,
  type WorkerHost,
  type WorkerHostOptions,
  type HostEvent,
} from './host.js';
export type {
  ToHost,
  FromHost,
  BatchJob,
  BatchTextJob,
  BatchKeyJob,
  BatchResult,
  BatchTextResult,
  BatchBytesResult,
  BatchFailure,
  JobState,
  ModuleId,
} from './protocol.js';
export { parseBrokerUrl, type BrokerAddress } from './redis.js';
