/**
 * The building blocks of Erlang-style supervision, shared by every pattern that watches processes
 * (the fan-out pool, the supervisor demo, worker hosts): monitors that turn a child's death into a `down`
 * message with a reason, and restart intensity, which stops a supervisor from restarting forever.
 */
import type { ChildProcess } from 'node:child_process';
import { signalExitCode } from './errors.js';

/** Why a process went down: Erlang's DOWN reason, in Node's terms. */
export type ExitReason =
  | { kind: 'normal' }
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: NodeJS.Signals }
  | { kind: 'error'; message: string };

/** The message a monitor delivers: {'DOWN', Ref, process, Pid, Reason}. */
export interface Down {
  type: 'down';
  pid: number;
  reason: ExitReason;
}

/** One short phrase for a reason: "exited normally", "exit code 3", "killed by SIGKILL". */
export function describeReason(reason: ExitReason): string {
  switch (reason.kind) {
    case 'normal':
      return 'exited normally';
    case 'exit':
      return `exit code ${reason.code}`;
    case 'signal':
      return `killed by ${reason.signal}`;
    case 'error':
      return reason.message;
    default: {
      const unknown: never = reason;
      return String(unknown);
    }
  }
}

/** The exit code a shell would see for this reason (0, the code, or 128+n). */
export function reasonExitCode(reason: ExitReason): number {
  switch (reason.kind) {
    case 'normal':
      return 0;
    case 'exit':
      return reason.code;
    case 'signal':
      return signalExitCode(reason.signal);
    case 'error':
      return 1;
    default: {
      const unknown: never = reason;
      return Number(unknown);
    }
  }
}

/** How a monitor reports. */
export interface MonitorOptions {
  /**
   * Deliver `down` only once the child's IPC channel has closed too, so every message the child wrote before
   * dying has been received first ('exit' can overtake them). Falls back after `drainMs` (default 1000).
   */
  afterMessages?: boolean;
  drainMs?: number;
}

/**
 * Watch `child`; call `onDown` once when it exits or fails to start. Returns a function that stops watching
 * (Erlang's demonitor). A monitor never kills anything: it only tells.
 */
export function monitor(
  child: ChildProcess,
  onDown: (down: Down) => void,
  options: MonitorOptions = {},
): () => void {
  let fired = false;
  let drainTimer: NodeJS.Timeout | undefined;
  const fire = (reason: ExitReason): void => {
    if (fired) return;
    fired = true;
    cleanup();
    onDown({ type: 'down', pid: child.pid ?? 0, reason });
  };
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    const reason = exitReason(code, signal);
    if (!options.afterMessages || !child.connected) return fire(reason);
    // Messages still in the pipe are read before the channel reports its end: wait for that.
    const drained = (): void => fire(reason);
    child.once('disconnect', drained);
    drainTimer = setTimeout(drained, options.drainMs ?? 1000);
    drainTimer.unref();
  };
  const onError = (error: Error): void => {
    // 'error' without a pid means the process never started; with one, 'exit' follows and tells more.
    if (child.pid === undefined) fire({ kind: 'error', message: error.message });
  };
  const cleanup = (): void => {
    clearTimeout(drainTimer);
    child.off('exit', onExit);
    child.off('error', onError);
  };
  child.on('exit', onExit);
  child.on('error', onError);
  return () => {
    fired = true;
    cleanup();
  };
}

/**
 * Restart intensity: at most `maxRestarts` restarts within any `periodMs` window (Erlang's MaxR in MaxT;
 * its defaults are 1 in 5 s). Past that, the supervisor must give up and shut down instead of looping.
 */
export class RestartIntensity {
  private readonly restarts: number[] = [];

  constructor(
    readonly maxRestarts = 1,
    readonly periodMs = 5000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Record a restart about to happen. Returns false when it would exceed the intensity: give up. */
  allow(): boolean {
    const now = this.now();
    while (this.restarts.length > 0 && now - (this.restarts[0] ?? now) > this.periodMs) this.restarts.shift();
    if (this.restarts.length >= this.maxRestarts) return false;
    this.restarts.push(now);
    return true;
  }

  /** Restarts counted in the current window. */
  get recent(): number {
    return this.restarts.length;
  }
}

/**
 * Stop `child` the way an Erlang supervisor does (shutdown = timeout): ask with SIGTERM, and if it is still
 * there after `graceMs`, SIGKILL (brutal_kill when `graceMs` is 0). Resolves with the reason it went down;
 * at once if it had already gone.
 */
export function terminate(child: ChildProcess, graceMs = 2000): Promise<ExitReason> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve(exitReason(child.exitCode, child.signalCode));
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    monitor(child, (down) => {
      clearTimeout(timer);
      resolve(down.reason);
    });
    if (graceMs <= 0) child.kill('SIGKILL');
    else {
      child.kill('SIGTERM');
      timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    }
  });
}

/** The reason for an 'exit' event's (code, signal): a signal wins; code 0 is normal; no code counts as 1. */
export function exitReason(code: number | null, signal: NodeJS.Signals | null): ExitReason {
  if (signal) return { kind: 'signal', signal };
  return code === 0 ? { kind: 'normal' } : { kind: 'exit', code: code ?? 1 };
}
