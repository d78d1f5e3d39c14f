/**
 * The conversation between the supervisor demo and its workers (and the sub-supervisor of the links step).
 * Parent → worker: crash (in one of several ways) or finish normally. Worker → parent: ready.
 * Parent → sub-supervisor: nothing; sub-supervisor → parent: ready, with the PIDs of the workers it started.
 * Try: concur demo supervisor
 */

import { isNumber, isString, messageGuard, type Fields } from '../../process/messages.js';

/** How a worker is told to die: exit with a code, kill itself with a signal, or throw an uncaught error. */
export type Crash =
  | { how: 'exit'; code: number }
  | { how: 'signal'; signal: 'SIGKILL' | 'SIGSEGV' | 'SIGABRT' | 'SIGTERM' }
  | { how: 'throw'; message: string };

/** Sent by the parent to a worker. */
export type ToSupervisedWorker =
  /** Crash now, in the way given (the demo's deterministic fault injection). */
  | { type: 'crash'; crash: Crash }
  /** Finish the work and exit normally (code 0). */
  | { type: 'finish' };

/** Sent by a worker: its start-up handshake. */
export type FromSupervisedWorker = { type: 'ready'; id: string; pid: number };

/** Sent by a sub-supervisor process once its own workers are up. */
export type FromSubSupervisor = { type: 'ready'; pid: number; workers: { id: string; pid: number }[] };

const signals = new Set(['SIGKILL', 'SIGSEGV', 'SIGABRT', 'SIGTERM']);

// A crash the worker can carry out: an exit code, one of the signals it knows, or an error message.
function isCrash(value: unknown): value is Crash {
  if (typeof value !== 'object' || value === null) return false;
  const crash = value as Fields;
  switch (crash.how) {
    case 'exit':
      return Number.isInteger(crash.code);
    case 'signal':
      return typeof crash.signal === 'string' && signals.has(crash.signal);
    case 'throw':
      return isString(crash.message);
    default:
      return false;
  }
}

/** A well-formed message from the parent to a supervised worker. */
export const isToSupervisedWorker = messageGuard<ToSupervisedWorker>({
  crash: (m) => isCrash(m.crash),
  finish: () => true,
});

/** A well-formed message from a supervised worker. */
export const isFromSupervisedWorker = messageGuard<FromSupervisedWorker>({
  ready: (m) => isString(m.id) && isNumber(m.pid),
});

/** A well-formed message from a sub-supervisor. */
export const isFromSubSupervisor = messageGuard<FromSubSupervisor>({
  ready: (m) =>
    isNumber(m.pid) &&
    Array.isArray(m.workers) &&
    m.workers.every((w: unknown) => {
      const worker = w as Fields | null;
      return typeof worker === 'object' && worker !== null && isString(worker.id) && isNumber(worker.pid);
    }),
});
