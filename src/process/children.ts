/**
 * Process discipline: no child outlives concur.
 * Every child concur starts is tracked here. On a normal exit, an error, Ctrl-C or SIGTERM the live ones are
 * killed. SIGKILL of concur cannot be caught, so children also watch their IPC channel (see lifeline.ts).
 */
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { signalExitCode } from './errors.js';
import { recorder, type ProcessRef } from '../trace/events.js';
import { onStdoutClosed } from '../terminal/output.js';
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
  // One guardian per concur process, started with the first guarded child. It must not keep concur alive:
  // both the process and its channel are unref'd, and concur's exit hook kills it like any other child.
  if (!guardian || !guardian.connected) {
    const started = fork(bootPath, [guardianPath], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    started.on('error', () => {});
    started.unref();
    started.channel?.unref();
    track(started);
    guardian = started;
    guardianRef = recorder.child(started, 'guardian');
  }
  const watcher = guardian;
  const ref = guardianRef;
  const send = (message: ToGuardian): void => {
    if (!watcher.connected) return;
    if (ref) recorder.send(recorder.self, ref, message.type, { pid: message.pid });
    watcher.send(message, () => {});
  };
  send({ type: 'guard', pid });
  // Forget a PID once its process has gone, so a reused PID is never killed by mistake.
  child.once('exit', () => send({ type: 'unguard', pid }));
}

const live = new Set<ChildProcess>();

/** Remember a child until it exits, so concur can stop it on the way out. */
export function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  installExitHook();
  child.once('exit', () => live.delete(child));
  return child;
}

/** Signal every live child (SIGTERM by default). Safe to call more than once. */
export function killAll(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}

let exitHookInstalled = false;
// 'exit' handlers must be synchronous; kill() is, so the last word is always "children die too". A reader
// that goes away (`| head -1`) ends concur quietly; the children get SIGTERM first, to clean up.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => killAll('SIGKILL'));
  onStdoutClosed(() => killAll('SIGTERM'));
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
