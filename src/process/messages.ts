/**
 * The door every message passes through. A process boundary carries `unknown`: whatever the other side sent,
 * or a stray message from code that is not ours. `receive` checks a message's shape against its protocol
 * before the handler sees it (instead of casting it), and `send` is the one way a child writes to its parent.
 */
import type { ChildProcess } from 'node:child_process';

/** Checks that an unknown value is a message of one protocol. */
export type MessageGuard<T> = (value: unknown) => value is T;

/**
 * A guard built from a protocol's `type` names, plus an optional check of the other fields. Each protocol
 * module exports one (e.g. `isToWorker`), so both sides agree on what a well-formed message is.
 */
export function messageGuard<T extends { type: string }>(
  types: readonly T['type'][],
  fields: (message: Record<string, unknown>) => boolean = () => true,
): MessageGuard<T> {
  const known = new Set<string>(types);
  return (value): value is T => {
    if (typeof value !== 'object' || value === null) return false;
    const message = value as Record<string, unknown>;
    return typeof message.type === 'string' && known.has(message.type) && fields(message);
  };
}

// A malformed message is a bug on the other side: say so once per kind on stderr, never act on it.
function reportMalformed(from: string, value: unknown): void {
  const shown = JSON.stringify(value)?.slice(0, 120) ?? String(value);
  process.stderr.write(`concur: ignored a malformed message from ${from}: ${shown}\n`);
}

/** In a child: receive the parent's messages, each checked by `guard` before `handler` sees it. */
export function receive<T>(guard: MessageGuard<T>, handler: (message: T) => void): void {
  process.on('message', (value: unknown) => {
    if (guard(value)) handler(value);
    else reportMalformed('the parent', value);
  });
}

/** In a parent: receive one child's messages, checked the same way. */
export function receiveFrom<T>(
  child: Pick<ChildProcess, 'on' | 'pid'>,
  guard: MessageGuard<T>,
  handler: (message: T) => void,
): void {
  child.on('message', (value: unknown) => {
    if (guard(value)) handler(value);
    else reportMalformed(`child ${child.pid ?? '?'}`, value);
  });
}

/**
 * In a child: send a message to the parent while the channel is open (after the parent is gone there is
 * no one to tell). `then` runs once the message has been handed to the OS, which is how a child knows it may
 * exit without losing it; with no parent to tell, it runs at once.
 */
export function send<T extends { type: string }>(message: T, then?: () => void): void {
  if (!process.connected || !process.send) {
    then?.();
    return;
  }
  process.send(message, undefined, {}, () => then?.());
}
