/**
 * The guardian's whole conversation: concur tells it which PIDs to take down if concur dies.
 * It never answers; its only output is the kill.
 */
import { isNumber, messageGuard } from './messages.js';

export type ToGuardian = { type: 'guard'; pid: number } | { type: 'unguard'; pid: number };

/** A well-formed message to the guardian: a PID it can signal. */
export const isToGuardian = messageGuard<ToGuardian>({
  guard: (m) => Number.isInteger(m.pid) && (m.pid as number) > 0,
  unguard: (m) => isNumber(m.pid),
});
