/**
 * The key-value manager process: the only owner of a Map, reached only by messages. It serves requests
 * from any number of clients on a loopback socket, one at a time, so no two clients can interleave a
 * read-modify-write: `incr` is atomic because only one process ever touches the data.
 * Usage (forked): kv-manager.child.js
 * Try: concur demo actors
 */
import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import {
  isKvRequest,
  isToManager,
  type FromManager,
  type KvReply,
  type KvRequest,
  type KvValue,
} from './protocol.js';
import { exitWithParent } from '../../process/lifeline.js';
import { disconnect, receive, send } from '../../process/messages.js';

const store = new Map<string, KvValue>();

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
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch {
      request = undefined;
    }
    // The socket is a boundary too: a line that is not a request gets an error reply, never a cast.
    if (!isKvRequest(request)) {
      const id = (request as { id?: unknown } | undefined)?.id;
      const message = request === undefined ? 'not JSON' : 'not a request';
      const reply: KvReply = { type: 'error', id: typeof id === 'number' ? id : -1, message };
      socket.write(`${JSON.stringify(reply)}\n`);
      return;
    }
    send<FromManager>({ type: 'trace', direction: 'in', peer: request.from, message: request });
    const reply = serve(request);
    send<FromManager>({ type: 'trace', direction: 'out', peer: request.from, message: reply });
    socket.write(`${JSON.stringify(reply)}\n`);
  });
}

exitWithParent();
const server = createServer(connection);
receive(isToManager, (message) => {
  switch (message.type) {
    case 'stop':
      server.close(disconnect);
      for (const socket of sockets) socket.end();
      return;
    default: {
      const unknown: never = message.type;
      throw new Error(`kv manager: unknown message ${String(unknown)}`);
    }
  }
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('kv manager: no TCP address');
  send<FromManager>({ type: 'ready', pid: process.pid, host: address.address, port: address.port });
});
