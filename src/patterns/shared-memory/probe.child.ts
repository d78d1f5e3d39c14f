/**
 * A forked child for the shared-memory demo's last step: it is sent a SharedArrayBuffer over the IPC
 * channel, reports what actually arrived, and writes 99 into it if it can. The parent then looks at its
 * own buffer: still 0, because a process boundary copies data; it never shares it.
 * Usage (forked): probe.child.js
 * Try: concur demo shared-memory
 */
import { epochNow } from '../../trace/clock.js';
import { isToProbe, type FromProbe } from './protocol.js';
import { exitWithParent } from '../../process/lifeline.js';
import { receive, send } from '../../process/messages.js';

exitWithParent();
receive(isToProbe, (message) => {
  switch (message.type) {
    case 'probe': {
      const at = epochNow();
      const { buffer } = message;
      const arrivedAs =
        buffer instanceof SharedArrayBuffer
          ? `a SharedArrayBuffer of ${buffer.byteLength} bytes (a copy)`
          : `${JSON.stringify(buffer)} (a plain ${typeof buffer})`;
      let wrote = false;
      if (buffer instanceof SharedArrayBuffer) {
        new Int32Array(buffer)[0] = 99;
        wrote = true;
      }
      send<FromProbe>({ type: 'probed', arrivedAs, wrote, at });
      return;
    }
    default: {
      const unknown: never = message.type;
      throw new Error(`probe: unknown message ${String(unknown)}`);
    }
  }
});
send<FromProbe>({ type: 'ready' });
