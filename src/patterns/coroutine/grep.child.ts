/**
 * Child entry point: the grep coroutine, in its own process, fed by IPC messages instead of `next()` calls.
 * The coroutine is the same code as in-process (grepAndPrint in examples.ts); only its
 * environment differs: messages arrive from the parent, and its output goes back as messages.
 * Try: concur demo coroutine
 */
import { exitWithParent } from '../../process/lifeline.js';
import type { FromCoroutineChild, ToCoroutineChild } from './protocol.js';
import { grepAndPrint } from './examples.js';
import type { Coroutine } from './coroutine.js';

function send(message: FromCoroutineChild, then?: () => void): void {
  process.send?.(message, undefined, {}, () => then?.());
}

let target: Coroutine<string> | undefined;
let received = 0;

function handle(message: ToCoroutineChild): void {
  switch (message.type) {
    case 'start':
      target = grepAndPrint(message.pattern, (value) => send({ type: 'output', value }));
      return;
    case 'send':
      received++;
      target?.next(message.value);
      return;
    case 'close':
      target?.return(undefined);
      // Disconnect once the last message is out: closing the channel drops writes still queued on it.
      send({ type: 'closed', received }, () => process.disconnect?.());
      return;
    default: {
      const unknown: never = message;
      throw new Error(`coroutine child: unknown message ${JSON.stringify(unknown)}`);
    }
  }
}

exitWithParent();
process.on('message', (message) => {
  try {
    handle(message as ToCoroutineChild);
  } catch (error) {
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) }, () =>
      process.disconnect?.(),
    );
  }
});
send({ type: 'ready', pid: process.pid });
