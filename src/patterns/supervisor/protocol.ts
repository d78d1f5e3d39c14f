/**
 * The conversation between the supervisor demo and its workers (and the sub-supervisor of the links step).
 * Parent → worker: crash (in one of several ways) or finish normally. Worker → parent: ready.
 * Parent → sub-supervisor: nothing; sub-supervisor → parent: ready, with the PIDs of the workers it started.
 * Try: concur demo supervisor
 */

/** How a worker is told to die: exit with a code, kill itself with a signal, or throw an uncaught error. */
export type Crash =
  | { how: 'exit'; code: number }
  | { how: 'signal'; signal: 'SIGKILL' | 'SIGSEGV' | 'SIGABRT' | 'SIGTERM' }
  | { how: 'throw'; message: string };

/** Sent by the parent to a worker. */
export type ToWorker =
  /** Crash now, in the way given (the demo's deterministic fault injection). */
  | { type: 'crash'; crash: Crash }
  /** Finish the work and exit normally (code 0). */
  | { type: 'finish' };

/** Sent by a worker: its start-up handshake. */
export type FromWorker = { type: 'ready'; id: string; pid: number };

/** Sent by a sub-supervisor process once its own workers are up. */
export type FromSubSupervisor = { type: 'ready'; pid: number; workers: { id: string; pid: number }[] };
