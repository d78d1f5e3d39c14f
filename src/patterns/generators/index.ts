/**
 * `concur-patterns/generators`: from pull pipelines to async/await, in Beazley's steps: a pull chain, coroutines
 * against objects, an event-driven state machine, a Task, and trampolining. Try: concur demo generators
 */
export { accessLog, follow, grepLines, bytesSent } from './pull.js';
export { timeCoroutinesAndObjects, type Timings } from './benchmark.js';
export {
  busesXml,
  parseXml,
  busesToRecords,
  filterOnField,
  busLocations,
  type XmlEvent,
  type Bus,
} from './buses.js';
export {
  Task,
  bogusCountdown,
  holyGrail,
  trampoline,
  runWithStack,
  mainWithStack,
  mainWithDelegation,
  mainAsync,
} from './tasks.js';
