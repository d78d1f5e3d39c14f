/**
 * The key-value manager process: the only owner of a Map, reached only by messages. It serves requests
 * from any number of clients on a loopback socket, one at a time, so no two clients can interleave a
 * read-modify-write: `incr` is atomic because only one process ever touches the data.
 * Usage (forked): kv-manager.child.js
 * Try: concur demo actors
 */
import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { FromManager, KvReply, KvRequest, KvValue, ToManager } from './protocol.js';
import { exitWithParent } from '../../process/lifeline.js';

const store = new Map<string, KvValue>();
const toParent = (message: FromManager): void => void process.send?.(message, () => {});

// Apply one request to the store. Runs to completion before the next one starts: no locks needed.
function serve(request: KvRequest): KvReply {
  switch (request.type) {
    case 'get':
      return { type: 'value', id: request.id, value: store.get(request.key) ?? null };
    case 'set':
      store.set(request.key, request.value);
      return { type: 'value', id: request.id, value: request.value };
    case 'incr': {
      const current = store.get(request.key) ?? 0;
      if (typeof current !== 'number')
        return {
          type: 'error',
          id: request.id,
          message: `${request.key} holds a ${typeof current}, not a number`,
        };
      store.set(request.key, current + request.by);
      return { type: 'value', id: request.id, value: current + request.by };
    }
    case 'delete': {
      const old = store.get(request.key) ?? null;
      store.delete(request.key);
      return { type: 'value', id: request.id, value: old };
    }
    case 'keys':
      return { type: 'keys', id: request.id, keys: [...store.keys()].sort() };
    default: {
      const unknown: never = request;
      return { type: 'error', id: -1, message: `unknown request ${JSON.stringify(unknown)}` };
    }
  }
}

const sockets = new Set<Socket>();

function connection(socket: Socket): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => {});
  createInterface({ input: socket }).on('line', (line) => {
    let request: KvRequest;
    try {
      request = JSON.parse(line) as KvRequest;
    } catch {
      socket.write(`${JSON.stringify({ type: 'error', id: -1, message: 'not JSON' } satisfies KvReply)}\n`);
      return;
    }
    toParent({ type: 'trace', direction: 'in', peer: request.from, message: request });
    const reply = serve(request);
    toParent({ type: 'trace', direction: 'out', peer: request.from, message: reply });
    socket.write(`${JSON.stringify(reply)}\n`);
  });
}

exitWithParent();
const server = createServer(connection);
process.on('message', (message: ToManager) => {
  if (message.type !== 'stop') return;
  server.close(() => process.disconnect?.());
  for (const socket of sockets) socket.end();
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('kv manager: no TCP address');
  toParent({ type: 'ready', pid: process.pid, host: address.address, port: address.port });
});
