/**
 * `concur-patterns/generators`: the road from generators to async/await, as small functions to run and read:
 * a pull chain (follow → grep → bytes), coroutines against objects timed, buses.py's state machine, task.py's
 * Task, bogus.py's rule, and a trampoline with a per-task call stack. Try: concur demo generators
 */
export { follow, grepLines, bytesSent, accessLog } from './pull.js';
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
