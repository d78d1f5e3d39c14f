/**
 * The conversation between a parent and a coroutine running in a child process (Beazley's coprocess.py).
 * The parent's `sendTo(child)` looks like any coroutine: each value pushed into it becomes a `send` message;
 * closing it sends `close`. The child runs the same grep coroutine it would run in-process, and sends back
 * each line the coroutine emits. Both sides import these types and the guards that check them.
 * Try: concur demo coroutine
 */
import { isNumber, isString, messageGuard } from '../../process/messages.js';

/** Sent by the parent. */
export type ToCoroutineChild =
  /** Build the coroutine: a grep for `pattern`. */
  | { type: 'start'; pattern: string }
  /** One value for the coroutine's `next(value)`. */
  | { type: 'send'; value: string }
  /** Close the coroutine (its `finally` runs), report, and exit. */
  | { type: 'close' };

/** Sent by the child. */
export type FromCoroutineChild =
  /** The child is up and listening. */
  | { type: 'ready'; pid: number }
  /** A line the coroutine emitted (a match, or its farewell while closing). */
  | { type: 'output'; value: string }
  /** The coroutine is closed: how many values it received; the child exits after this. */
  | { type: 'closed'; received: number }
  /** The coroutine threw: the child exits after this. */
  | { type: 'error'; message: string };

/** A well-formed message from the parent to the coroutine child. */
export const isToCoroutineChild = messageGuard<ToCoroutineChild>({
  start: (m) => isString(m.pattern),
  send: (m) => isString(m.value),
  close: () => true,
});

/** A well-formed message from the coroutine child. */
export const isFromCoroutineChild = messageGuard<FromCoroutineChild>({
  ready: (m) => isNumber(m.pid),
  output: (m) => isString(m.value),
  closed: (m) => isNumber(m.received),
  error: (m) => isString(m.message),
});
