/**
 * `concur-patterns/spinner`: the spinner pattern as a library. A forked child draws the spinner, so it keeps
 * turning while your process is busy on the CPU; `spinCommand` wraps a command the same way. The message types
 * are the protocol both processes share. Try: concur demo spinner
 */
export {
  SpinnerProcess,
  withSpinner,
  withInProcessSpinner,
  type SpinnerOptions,
  type SpinnerRun,
  type Progress,
} from './spinner.js';
export { spinCommand, type SpinCommandOptions, type SpinCommandResult } from './command.js';
export type { ToSpinner, FromSpinner, SpinnerStats, SpinnerStyle } from './protocol.js';
export { terminalPolicy, type TerminalPolicy } from '../../terminal/policy.js';
