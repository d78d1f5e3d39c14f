/**
 * `concur-patterns/supervisor`: Erlang/OTP supervision for Node processes: links, monitors, restart strategies
 * (one_for_one, one_for_all, rest_for_one) and restart intensity. Try: concur demo supervisor
 */
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
} from './supervisor.js';
export { monitor, terminate, describeReason, type Down, type ExitReason } from '../../process/supervision.js';
export { exitWithParent } from '../../process/lifeline.js';
