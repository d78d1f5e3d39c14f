/**
 * Child entry point: the grep coroutine, in its own process, fed by IPC messages instead of `next()` calls.
 * The coroutine is the same code as in-process (grepAndPrint in examples.ts); only its
 * environment differs: messages arrive from the parent, and its output goes back as messages.
 * Try: concur demo coroutine
 */
import { exitWithParent } from '../../process/lifeline.js';
import { disconnect, receive, send } from '../../process/messages.js';
import { isToCoroutineChild, type FromCoroutineChild, type ToCoroutineChild } from './protocol.js';
import { grepAndPrint } from './examples.js';
import type { Coroutine } from './coroutine.js';

let target: Coroutine<string> | undefined;
let received = 0;

function handle(message: ToCoroutineChild): void {
  switch (message.type) {
    case 'start':
      target = grepAndPrint(message.pattern, (value) => send<FromCoroutineChild>({ type: 'output', value }));
      return;
    case 'send':
      received++;
      target?.next(message.value);
      return;
    case 'close':
      target?.return(undefined);
      // Disconnect once the last message is out: closing the channel drops writes still queued on it.
      send<FromCoroutineChild>({ type: 'closed', received }, disconnect);
      return;
    default: {
      const unknown: never = message;
      throw new Error(`coroutine child: unknown message ${JSON.stringify(unknown)}`);
    }
  }
}

exitWithParent();
receive(isToCoroutineChild, (message) => {
  try {
    handle(message);
  } catch (error) {
    send<FromCoroutineChild>(
      { type: 'error', message: error instanceof Error ? error.message : String(error) },
      disconnect,
    );
  }
});
send<FromCoroutineChild>({ type: 'ready', pid: process.pid });
