/**
 * A peer of the locks demo's deadlock between processes: it waits for the other peer's message and answers
 * it. If both peers wait first, neither ever speaks: a deadlock that no error reports. The wait has a
 * timeout, so a peer that hears nothing gives up and says so instead of hanging for good.
 * Use a timeout like it on any wait for another process that may never answer.
 * Try: concur demo locks
 */
import { exitWithParent } from '../../process/lifeline.js';
import { receive, send } from '../../process/messages.js';
import { isToPeer, type FromPeer, type ToPeer } from './protocol.js';

const tell = (message: FromPeer, then?: () => void): void => send(message, then);

let started = 0;
let timer: NodeJS.Timeout | undefined;
let spoke = false;
let name = '';

function finish(heard: string | null): void {
  clearTimeout(timer);
  tell({ type: 'outcome', heard, waitedMs: Math.round(performance.now() - started) }, () =>
    process.disconnect?.(),
  );
}

function handle(message: ToPeer): void {
  switch (message.type) {
    case 'start':
      name = message.name;
      started = performance.now();
      if (message.speakFirst) {
        spoke = true;
        tell({ type: 'say', text: `hello from ${name}` });
      }
      timer = setTimeout(() => finish(null), message.timeoutMs);
      return;
    case 'message':
      // Answer first if this peer has not spoken yet: the other may be waiting for it.
      if (!spoke) {
        spoke = true;
        tell({ type: 'say', text: `hello back from ${name}` });
      }
      finish(message.text);
      return;
    default: {
      const unknown: never = message;
      throw new Error(`peer: unknown message ${JSON.stringify(unknown)}`);
    }
  }
}

exitWithParent();
receive(isToPeer, handle);
tell({ type: 'ready', pid: process.pid });
