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
 * What this process must take down with it (e.g. a command run by `concur spinner -- cmd`): a PID, or the
 * process group it leads (as a negative number, the way kill(2) names a group).
 */
const guarded = new Set<number>();

/** Kill `pid` (SIGTERM, then SIGKILL after `graceMs`) when this process's parent goes away; with `group`,
 * every process in the group `pid` leads, so a command's children and grandchildren go too. */
export function guard(pid: number, group = false): void {
  guarded.add(group ? -pid : pid);
}

/** Stop guarding a PID (or group) that has exited on its own. */
export function unguard(pid: number, group = false): void {
  guarded.delete(group ? -pid : pid);
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

// kill(target, 0) asks whether a process (or, for a negative target, any process of the group) exists.
function alive(target: number): boolean {
  try {
    process.kill(target, 0);
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
    // Only what is still there gets a grace period: an exit with nothing left to kill is immediate.
    const left = [...guarded].filter(alive);
    for (const target of left) signal(target, 'SIGTERM');
    signalMarked('SIGTERM');
    if (left.length === 0 && marks.size === 0) process.exit(0);
    setTimeout(() => {
      for (const target of left) if (alive(target)) signal(target, 'SIGKILL');
      // Looked up again: a job that was still starting when concur died carries its mark by now.
      signalMarked('SIGKILL');
      process.exit(0);
    }, graceMs);
  };
  // The parent may have died while this child was still loading: act on it, after held messages are handled.
  if (held?.disconnected || !process.connected) setImmediate(onGone);
  else process.once('disconnect', onGone);
}

function signal(target: number, name: NodeJS.Signals): void {
  try {
    process.kill(target, name);
  } catch {
    // Already gone: nothing to do.
  }
}
