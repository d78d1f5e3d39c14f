/**
 * The child's side of "no child outlives concur". A forked child holds an IPC channel to its parent; when the
 * parent dies for any reason, even SIGKILL, the kernel closes that channel and Node emits 'disconnect'.
 * A child that exits on 'disconnect' can never be orphaned for long.
 */
import { readFileSync } from 'node:fs';
import { findMarked } from './marked.js';

/** What boot.cts saw while the entry module loaded (present when started with `forkChild`). */
const held = (globalThis as Record<symbol, unknown>)[Symbol.for('concur.child-boot')] as
  { disconnected: boolean } | undefined;

/**
 * Receive the parent's messages, typed. With `forkChild`, messages that arrived while this module was still
 * loading are delivered first, in order (boot.cts holds them).
 * Deprecated: use `receive(guard, handler)` from messages.ts, which checks each message's shape instead of
 * trusting it. Kept until its last user (the spinner child) moves over.
 */
export function onParentMessage<T>(handler: (message: T) => void): void {
  process.on('message', handler);
}

/**
 * PIDs this process must take down with it (e.g. a command run by `concur spinner -- cmd`); a negative one is a
 * process group, as kill(2) reads it (the jobs of `concur fan-out -- cmd`).
 */
const guarded = new Set<number>();

/** Kill `pid` (SIGTERM, then SIGKILL after `graceMs`) when this process's parent goes away. */
export function guard(pid: number): void {
  guarded.add(pid);
}

/** Stop guarding a PID that has exited on its own. */
export function unguard(pid: number): void {
  guarded.delete(pid);
}

/** Marks (see marked.ts) whose processes, and their process groups, this process must take down with it. */
const marks = new Set<string>();

/** Kill every process marked `mark`, and its group, when this process's parent goes away. */
export function guardMarked(mark: string): void {
  marks.add(mark);
}

// Signal every process that carries one of the marks, and its process group (never this process's own).
function signalMarked(name: NodeJS.Signals): void {
  const ownGroup = ownProcessGroup();
  for (const mark of marks)
    for (const { pid, pgid } of findMarked(mark)) {
      if (pgid > 1 && pgid !== ownGroup) signal(-pgid, name);
      signal(pid, name);
    }
}

function ownProcessGroup(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return 0;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Exit when the parent's IPC channel closes. `cleanup` runs first (restore the cursor, clear a line);
 * guarded PIDs and marked processes get SIGTERM and, if still there after `graceMs`, SIGKILL.
 */
export function exitWithParent(cleanup: () => void = () => {}, graceMs = 500): void {
  if (!process.send && !held)
    throw new Error('exitWithParent() needs a process started with fork() (an IPC channel).');
  const onGone = (): void => {
    cleanup();
    for (const pid of guarded) signal(pid, 'SIGTERM');
    signalMarked('SIGTERM');
    if (guarded.size === 0 && marks.size === 0) process.exit(0);
    setTimeout(() => {
      for (const pid of guarded) if (alive(pid)) signal(pid, 'SIGKILL');
      // Looked up again: a job that was still starting when concur died carries its mark by now.
      signalMarked('SIGKILL');
      process.exit(0);
    }, graceMs);
  };
  // The parent may have died while this child was still loading: act on it, after held messages are handled.
  if (held?.disconnected || !process.connected) setImmediate(onGone);
  else process.once('disconnect', onGone);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone: nothing to do.
  }
}
