/**
 * The door every message passes through. A process boundary carries `unknown`: whatever the other side sent,
 * or a stray message from code that is not ours. `receive` checks a message's shape against its protocol
 * before the handler sees it (instead of casting it), and `send` is the one way a child writes to its parent.
 * The same calls serve a forked process (its IPC channel) and a worker thread (its `parentPort`).
 */
import { parentPort } from 'node:worker_threads';

/** Checks that an unknown value is a message of one protocol. */
export type MessageGuard<T> = (value: unknown) => value is T;

/** A message's fields, before they are known to be right. */
export type Fields = Record<string, unknown>;

/** One check per `type` of a protocol: the compiler insists on a check for every kind of message. */
export type FieldChecks<T extends { type: string }> = { [K in T['type']]: (message: Fields) => boolean };

/**
 * A guard for one protocol. Each protocol module exports one (e.g. `isToQueueWorker`), so both sides agree on
 * what a well-formed message is. Two forms:
 * - `messageGuard<T>(types, fields?)`: the `type` names, plus an optional check of the other fields;
 * - `messageGuard<T>({ typeA: (m) => …, typeB: () => true })`: a check per `type`, exhaustive over `T`.
 */
export function messageGuard<T extends { type: string }>(checks: FieldChecks<T>): MessageGuard<T>;
export function messageGuard<T extends { type: string }>(
  types: readonly T['type'][],
  fields?: (message: Fields) => boolean,
): MessageGuard<T>;
export function messageGuard<T extends { type: string }>(
  typesOrChecks: readonly T['type'][] | FieldChecks<T>,
  fields: (message: Fields) => boolean = () => true,
): MessageGuard<T> {
  // A Map, not the object itself: a message of type 'constructor' must not find Object.prototype's.
  const checks = new Map<string, (message: Fields) => boolean>(
    isTypeList(typesOrChecks)
      ? typesOrChecks.map((type) => [type, fields])
      : Object.entries<(message: Fields) => boolean>(typesOrChecks),
  );
  return (value): value is T => {
    if (typeof value !== 'object' || value === null) return false;
    const message = value as Fields;
    if (typeof message.type !== 'string') return false;
    const check = checks.get(message.type);
    return check !== undefined && check(message);
  };
}

function isTypeList<T extends { type: string }>(
  value: readonly T['type'][] | FieldChecks<T>,
): value is readonly T['type'][] {
  return Array.isArray(value);
}

/** True for a finite number (the usual check of a count, an id or a PID in a message). */
export const isNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/** True for a string. */
export const isString = (value: unknown): value is string => typeof value === 'string';

// A malformed message is a bug on the other side: say so on stderr, once per kind of message, never act on it.
const reported = new Set<string>();
function reportMalformed(from: string, value: unknown): void {
  const type = typeof value === 'object' && value !== null ? (value as Fields).type : undefined;
  const kind = `${from}\0${typeof type === 'string' ? type : typeof value}`;
  if (reported.has(kind)) return;
  reported.add(kind);
  let shown: string;
  try {
    shown = (JSON.stringify(value) ?? String(value)).slice(0, 120);
  } catch {
    shown = String(value);
  }
  process.stderr.write(`concur: ignored a malformed message from ${from}: ${shown}\n`);
}

/** What `receiveFrom` listens to: a ChildProcess (it has a pid) or a worker_threads Worker (a threadId). */
export interface MessageSource {
  on(event: 'message', listener: (value: unknown) => void): unknown;
  readonly pid?: number | undefined;
  readonly threadId?: number;
}

/**
 * In a child (a forked process, or a worker thread): receive the parent's messages, each checked by `guard`
 * before `handler` sees it. In a process started with `forkChild`, messages that arrived while the module
 * was still loading come first, in order (boot.cts holds them).
 */
export function receive<T>(guard: MessageGuard<T>, handler: (message: T) => void): void {
  const listener = (value: unknown): void => {
    if (guard(value)) handler(value);
    else reportMalformed('the parent', value);
  };
  if (parentPort) parentPort.on('message', listener);
  else process.on('message', listener);
}

/** In a parent: receive one child's (or worker thread's) messages, checked the same way. */
export function receiveFrom<T>(
  child: MessageSource,
  guard: MessageGuard<T>,
  handler: (message: T) => void,
): void {
  const name = child.threadId !== undefined ? `thread ${child.threadId}` : `child ${child.pid ?? '?'}`;
  child.on('message', (value: unknown) => {
    if (guard(value)) handler(value);
    else reportMalformed(name, value);
  });
}

/**
 * In a child: send a message to the parent while the channel is open (after the parent is gone there is
 * no one to tell). `then` runs once the message has been handed to the OS, which is how a child knows it may
 * exit (or disconnect) without losing it; with no parent to tell, it runs at once. In a worker thread the
 * message is posted to `parentPort`, and `then` runs at once too: the port has taken it.
 */
export function send<T extends { type: string }>(message: T, then?: () => void): void {
  if (parentPort) {
    parentPort.postMessage(message);
    then?.();
    return;
  }
  if (!process.connected || !process.send) {
    then?.();
    return;
  }
  process.send(message, undefined, {}, () => then?.());
}

/**
 * In a child: close the channel to the parent, if it is still open: the child's "I am done" (its event loop
 * then empties and it exits). Safe when the parent has already gone, where `process.disconnect()` throws.
 */
export function disconnect(): void {
  if (process.connected) process.disconnect?.();
}
