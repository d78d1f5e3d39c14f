/**
 * Process discipline: no child outlives concur.
 * Every child concur starts is tracked here. On a normal exit, an error, Ctrl-C or SIGTERM the live ones are
 * killed. SIGKILL of concur cannot be caught, so children also watch their IPC channel (see lifeline.ts).
 */
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { MARK_VARIABLE } from './marked.js';
import { signalExitCode } from './errors.js';
import { recorder, type ProcessRef } from '../trace/events.js';
import { whenStdoutCloses } from './stdout-closed.js';
import type { ToGuardian } from './guardian-protocol.js';

const bootPath = fileURLToPath(new URL('./boot.cjs', import.meta.url));
const guardianPath = fileURLToPath(new URL('./guardian.child.js', import.meta.url));

/** Options for `forkChild`: Node's, plus whether the guardian should watch this child. */
export interface ForkChildOptions extends ForkOptions {
  /**
   * Have the guardian kill this child if concur dies (default true). A child whose event loop is never busy
   * (a spinner) notices its parent's death by itself and may opt out.
   */
  guarded?: boolean;
}

/**
 * Fork an ES module as a child process, tracked, through boot.cjs so that no early message or parent death is
 * missed while the module loads. The child calls `exitWithParent` (lifeline.ts). Unless `guarded: false`, the
 * guardian also watches it, so even a child stuck in a long computation dies with concur. `entry` is a path or
 * file: URL.
 */
export function forkChild(
  entry: string | URL,
  args: string[] = [],
  options: ForkChildOptions = {},
): ChildProcess {
  const { guarded = true, ...forkOptions } = options;
  const path = entry instanceof URL || entry.startsWith('file:') ? fileURLToPath(entry) : entry;
  const child = track(
    fork(bootPath, [path, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...forkOptions }),
  );
  if (guarded) guardProcess(child);
  return child;
}

let guardian: ChildProcess | undefined;
let guardianRef: ProcessRef | undefined;

/**
 * Have the guardian kill `child` if concur dies, even by SIGKILL. `forkChild` does this for forked children;
 * call it for a spawned program that has no IPC channel of its own (a redis-server, a wrapped command).
 */
export function guardProcess(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  const unguard = guardPid(pid);
  // Forget a PID once its process has gone, so a reused PID is never killed by mistake.
  child.once('exit', unguard);
}

/**
 * Have the guardian kill `pid` if concur dies, even by SIGKILL; a negative `pid` names a whole process group
 * (a job started with `detached: true` leads its own, and its grandchildren stay in it). Returns the function
 * that takes the guard back: call it once the process (or every process of the group) has gone.
 */
export function guardPid(pid: number): () => void {
  send({ type: 'guard', pid });
  return () => send({ type: 'unguard', pid }, false);
}

/**
 * A mark for processes about to start: give each one `CONCUR_JOB_GUARD=<mark>` in its environment, and if concur
 * dies, even by SIGKILL, the guardian finds them (and their children, which inherit the variable) through /proc
 * and kills them with their process groups. No message per process, and no moment when one is unguarded.
 */
export function guardMarkedProcesses(): { variable: string; mark: string } {
  const mark = `${process.pid}.${randomBytes(6).toString('hex')}`;
  send({ type: 'guard-marked', mark });
  return { variable: MARK_VARIABLE, mark };
}

// Tell the guardian what to take down if concur dies; `start`: start it first if it is not running.
function send(message: ToGuardian, start = true): void {
  // One guardian per concur process. It must not keep concur alive: both the process and its channel are
  // unref'd, and concur's exit hook kills it like any other child.
  if (start && (!guardian || !guardian.connected)) {
    const started = fork(bootPath, [guardianPath], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    started.on('error', () => {});
    started.unref();
    started.channel?.unref();
    track(started);
    guardian = started;
    guardianRef = recorder.child(started, 'guardian');
  }
  if (!guardian?.connected) return;
  if (guardianRef)
    recorder.send(recorder.self, guardianRef, message.type, 'pid' in message ? { pid: message.pid } : {});
  guardian.send(message, () => {});
}

const live = new Set<ChildProcess>();
// Children that lead their own process group: signals for them go to the whole group.
const groupLeaders = new WeakSet<ChildProcess>();

/**
 * Remember a child until it exits, so concur can stop it on the way out. With `group: true` the child leads
 * its own process group (spawned with `detached: true`), and stopping it signals the whole group.
 */
export function track<T extends ChildProcess>(child: T, options: { group?: boolean } = {}): T {
  live.add(child);
  if (options.group) groupLeaders.add(child);
  installExitHook();
  child.once('exit', () => live.delete(child));
  return child;
}

/** Signal every live child (SIGTERM by default), or its whole group if it leads one. Safe to call again. */
export function killAll(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const child of live) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    if (groupLeaders.has(child) && child.pid !== undefined) signalGroup(child.pid, signal);
    else child.kill(signal);
  }
}

/** Send `signal` to every process of group `pgid`; false when the group has no process left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

let exitHookInstalled = false;
// 'exit' handlers must be synchronous; kill() is, so the last word is always "children die too". A reader
// that goes away (`| head -1`) ends concur quietly; the children get SIGTERM first, to clean up.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => killAll('SIGKILL'));
  whenStdoutCloses(() => killAll('SIGTERM'));
}

export type SignalHandler = (signal: NodeJS.Signals) => void | Promise<void>;

/**
 * On SIGINT, SIGTERM or SIGHUP: run `cleanup` (if any), kill the children and exit 128+n.
 * Only works while the event loop is free; a busy parent (see the spinner) relies on its children instead.
 * Returns a function that removes the handlers.
 */
export function exitOnSignals(cleanup?: SignalHandler): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    const done = (): never => {
      killAll('SIGTERM');
      process.exit(signalExitCode(signal));
    };
    if (!cleanup) done();
    Promise.resolve()
      .then(() => cleanup?.(signal))
      .finally(done);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}
