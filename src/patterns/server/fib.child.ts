/**
 * A worker of the server's process pool: computes fib(n) for each job and sends the result back. Its own
 * event loop is the one that blocks, so the server's stays free.
 * Use a worker like it for any CPU-heavy request a server must not compute on its own loop.
 * Try: concur demo server
 */
import { exitWithParent } from '../../process/lifeline.js';
import { receive, send } from '../../process/messages.js';
import { fib } from './fib.js';
import { isToPoolWorker, type FromPoolWorker } from './protocol.js';

const tell = (message: FromPoolWorker): void => send(message);

exitWithParent();
receive(isToPoolWorker, (message) => {
  switch (message.type) {
    case 'job':
      tell({ type: 'result', id: message.id, value: fib(message.n) });
      return;
    default: {
      const unknown: never = message.type;
      throw new Error(`pool worker: unknown message ${String(unknown)}`);
    }
  }
});
tell({ type: 'ready', pid: process.pid });
