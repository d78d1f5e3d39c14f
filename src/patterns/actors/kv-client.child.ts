/**
 * A client process of the actors demo. It connects to the key-value manager, waits for `go` (so all the
 * clients start together), then sets its own key and increments the shared counter `hits` several times,
 * each request waiting for its reply. It reports how many requests it made, and exits.
 * Usage (forked): kv-client.child.js <name> <host> <port> <increments>
 * Try: concur demo actors
 */
import { isToKvClient, type FromKvClient } from './protocol.js';
import { exitWithParent } from '../../process/lifeline.js';
import { disconnect, receive, send } from '../../process/messages.js';
import { KvClient } from './actors.js';

const [name = 'client', host = '127.0.0.1', port = '0', increments = '3'] = process.argv.slice(2);

exitWithParent();
const client = await KvClient.connect({ host, port: Number(port) }, name);

async function run(): Promise<void> {
  let requests = 0;
  await client.set(`greeting:${name}`, `hello from ${name}`);
  requests++;
  let lastHits = 0;
  for (let i = 0; i < Number(increments); i++) {
    lastHits = await client.incr('hits');
    requests++;
  }
  client.close();
  // Done: say so, then leave (closing the channel once the message is out).
  send<FromKvClient>({ type: 'done', name, requests, lastHits }, disconnect);
}

receive(isToKvClient, (message) => {
  switch (message.type) {
    case 'go':
      void run();
      return;
    default: {
      const unknown: never = message.type;
      throw new Error(`client: unknown message ${String(unknown)}`);
    }
  }
});
send<FromKvClient>({ type: 'ready', name });
