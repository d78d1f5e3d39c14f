/**
 * The guardian's whole conversation: concur tells it which PIDs to take down if concur dies.
 * It never answers; its only output is the kill. A negative `pid` names a process group (kill(-pgid) signals
 * every process in it), so a job's grandchildren go too.
 */
import { isNumber, isString, messageGuard } from './messages.js';

export type ToGuardian =
  | { type: 'guard'; pid: number }
  | { type: 'unguard'; pid: number }
  /** Take down every process whose environment carries this mark, and its process group (marked.ts). */
  | { type: 'guard-marked'; mark: string };

// Never 0 or ±1: kill(0) signals the guardian's own process group, kill(-1) every process it may signal.
const isTarget = (pid: unknown): boolean => Number.isInteger(pid) && Math.abs(pid as number) > 1;

/** A well-formed message to the guardian: a PID it can safely signal. */
export const isToGuardian = messageGuard<ToGuardian>({
  guard: (m) => isTarget(m.pid),
  unguard: (m) => isNumber(m.pid),
  'guard-marked': (m) => isString(m.mark) && m.mark !== '',
});
