/**
 * Process discipline: no child outlives concur.
 * Every child concur starts is tracked here. On a normal exit, an error, Ctrl-C or SIGTERM the live ones are
 * killed. SIGKILL of concur cannot be caught, so children also watch their IPC channel (see lifeline.ts).
 */
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { signalExitCode } from '../errors.js';

const bootPath = fileURLToPath(new URL('./boot.cjs', import.meta.url));

/**
 * Fork an ES module as a child process, tracked, through boot.cjs so that no early message or parent death is
 * missed while the module loads. The child reads messages with lifeline.ts `onParentMessage` and calls
 * `exitWithParent`. `entry` is a path or file: URL.
 */
export function forkChild(entry: string | URL, args: string[] = [], options: ForkOptions = {}): ChildProcess {
  const path = entry instanceof URL || entry.startsWith('file:') ? fileURLToPath(entry) : entry;
  return track(
    fork(bootPath, [path, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...options }),
  );
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

/** How many tracked children are still running (for tests and narration). */
export function liveCount(): number {
  return live.size;
}

let exitHookInstalled = false;
// 'exit' handlers must be synchronous; kill() is, so the last word is always "children die too".
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => killAll('SIGKILL'));
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
