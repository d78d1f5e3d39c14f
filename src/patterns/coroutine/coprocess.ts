/**
 * The same coroutine in another environment: a child process fed by messages (Beazley's coprocess.py).
 *
 * In-process, values reach a coroutine through `next(value)`. Here the parent holds `sendTo(child)`, itself a
 * coroutine, which turns each value into an IPC message; the child pushes each message into the very same
 * grep coroutine and sends its output back. To the code upstream nothing changed: "the coroutine is the
 * implementation; the environment is whatever you choose".
 *
 * Use it to move a coroutine that has become CPU-heavy off the main process without rewriting it.
 * Try: concur demo coroutine
 */
import type { ChildProcess, ForkOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { recorder } from '../../trace/events.js';
import { forkChild, track } from '../../process/children.js';
import { isFromCoroutineChild, type FromCoroutineChild, type ToCoroutineChild } from './protocol.js';
import { receiveFrom } from '../../process/messages.js';
import { coroutine, type Coroutine } from './coroutine.js';

/** The child's entry point, next to this file once built. */
export const coroutineChildPath = fileURLToPath(new URL('./grep.child.js', import.meta.url));

/** A coroutine that forwards every value to `child` as a `send` message; closing it sends `close`. */
export const sendTo = coroutine(function* sendTo(child: ChildProcess): Coroutine<string, void> {
  const post = (message: ToCoroutineChild): void => void child.send(message);
  try {
    for (;;) post({ type: 'send', value: yield });
  } finally {
    post({ type: 'close' });
  }
});

/** What the child reported. */
export interface ChildRun {
  pid: number;
  /** Lines the coroutine printed, in order. */
  output: string[];
  /** Values the child's coroutine received. */
  received: number;
}

/**
 * Fork a child running the grep coroutine for `pattern`, push `lines` into it through `sendTo`, close it,
 * and resolve with everything it printed. `onMessage` sees each message in both directions.
 */
export function grepInChild(
  pattern: string,
  lines: Iterable<string>,
  options: {
    onMessage?: (direction: 'sent' | 'received', message: ToCoroutineChild | FromCoroutineChild) => void;
    fork?: (modulePath: string, args: string[], options: ForkOptions) => ChildProcess;
  } = {},
): Promise<ChildRun> {
  const fork = options.fork ?? forkChild;
  const child = track(fork(coroutineChildPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const send = child.send.bind(child);
  const ref = recorder.child(child, 'coroutine');
  // Narrate (and record) what crosses the boundary without changing what is sent.
  child.send = ((message: ToCoroutineChild, ...rest: never[]) => {
    options.onMessage?.('sent', message);
    recorder.send(
      recorder.self,
      ref,
      message.type,
      message.type === 'send' ? { value: message.value } : undefined,
    );
    return send(message, ...rest);
  }) as typeof child.send;
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      reject(new Error(`coroutine child exited early (${signal ?? `code ${code}`})`)),
    );
    receiveFrom(child, isFromCoroutineChild, (message) => {
      options.onMessage?.('received', message);
      recorder.message(
        ref,
        recorder.self,
        message.type,
        message.type === 'output' ? { value: message.value } : undefined,
      );
      switch (message.type) {
        case 'ready': {
          child.send({ type: 'start', pattern } satisfies ToCoroutineChild);
          const target = sendTo(child);
          for (const line of lines) target.next(line);
          target.return(undefined);
          return;
        }
        case 'output':
          output.push(message.value);
          return;
        case 'closed':
          resolve({ pid: child.pid ?? 0, output, received: message.received });
          return;
        case 'error':
          reject(new Error(`the coroutine failed in the child: ${message.message}`));
          return;
        default: {
          const unknown: never = message;
          reject(new Error(`unknown message from the coroutine child: ${JSON.stringify(unknown)}`));
        }
      }
    });
  });
}
