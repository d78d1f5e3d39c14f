/**
 * `concur-patterns/scheduler`: Beazley's pyos in TypeScript, a cooperative scheduler where `yield` is a system
 * call. Tasks get ids, start, kill and wait for one another, sleep and wait for I/O. Try: concur demo scheduler
 */
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
} from './scheduler.js';
