/**
 * Actors: a process that owns its state and is reached only by messages. Here, a key-value manager: one
 * process holds a Map; clients anywhere send it requests over a socket and wait for replies. Nothing is
 * shared, so nothing needs a lock: the manager handles one request at a time, and `incr` from many clients
 * at once never loses an update. The trace shows who sent what to whom.
 *
 * Use it for state several processes need (counters, caches, registries) when you would rather not share
 * memory. From Python's multiprocessing.Manager (a server process, here without proxies) and the actor model
 * behind Erlang; Alan Kay: "the big idea is messaging".
 * Try: concur demo actors
 */
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import {
  isFromManager,
  isKvReply,
  type FromManager,
  type KvReply,
  type KvRequest,
  type KvValue,
  type ToManager,
} from './protocol.js';
import { receiveFrom } from '../../process/messages.js';
import { terminate } from '../../process/supervision.js';
import { forkLinked } from '../supervisor/supervisor.js';

/** The manager's child entry point. */
export const kvManagerPath = fileURLToPath(new URL('./kv-manager.child.js', import.meta.url));

/** Where a manager listens (loopback). */
export interface KvAddress {
  host: string;
  port: number;
}

/** A running manager process. */
export interface KvManager {
  readonly process: ChildProcess;
  readonly address: KvAddress;
  /** Ask the manager to stop (it closes its clients' connections) and wait until it has exited. */
  stop(): Promise<void>;
}

/**
 * Fork a key-value manager. `onTrace` hears about every message it receives or sends, for a trace.
 */
export async function startKvManager(
  onTrace?: (trace: Extract<FromManager, { type: 'trace' }>) => void,
): Promise<KvManager> {
  let address: KvAddress | undefined;
  const child = await forkLinked(kvManagerPath, [], (message) => {
    if (!isFromManager(message) || message.type !== 'ready') return false;
    address = { host: message.host, port: message.port };
    return true;
  });
  receiveFrom(child, isFromManager, (message) => {
    if (message.type === 'trace') onTrace?.(message);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    address: address as KvAddress,
    async stop() {
      if (child.connected) child.send({ type: 'stop' } satisfies ToManager, () => {});
      // If it does not go within a second, stop it the hard way.
      const timer = setTimeout(() => void terminate(child, 500), 1000);
      await exited;
      clearTimeout(timer);
    },
  };
}

type Pending = { resolve: (reply: KvReply) => void; reject: (error: Error) => void };
type WithoutIdFrom<T> = T extends unknown ? Omit<T, 'id' | 'from'> : never;

/**
 * A client of a key-value manager: each method sends one request and resolves with its reply. Requests from
 * one client may be in flight together; replies are matched to requests by id.
 */
export class KvClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private constructor(
    private readonly socket: Socket,
    /** The name the manager sees in `from` (and the trace shows). */
    readonly name: string,
  ) {
    createInterface({ input: socket }).on('line', (line) => {
      const reply = parseReply(line);
      // A line that is not a reply cannot be matched to its request: the connection is broken, say so.
      if (!reply) return socket.destroy(new Error(`the manager sent something that is not a reply: ${line}`));
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiter?.resolve(reply);
    });
    socket.on('close', () => {
      for (const waiter of this.pending.values())
        waiter.reject(new Error('the manager closed the connection'));
      this.pending.clear();
    });
  }

  /** Connect to the manager at `address`, calling yourself `name`. */
  static connect(address: KvAddress, name: string): Promise<KvClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(address.port, address.host, () => {
        socket.off('error', reject);
        socket.on('error', () => {});
        resolve(new KvClient(socket, name));
      });
      socket.once('error', reject);
    });
  }

  /** Send one request and wait for its reply. */
  request(request: WithoutIdFrom<KvRequest>): Promise<KvReply> {
    const id = this.nextId++;
    const message = { ...request, id, from: this.name } as KvRequest;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(`${JSON.stringify(message)}\n`);
    });
  }

  async get(key: string): Promise<KvValue | null> {
    return valueOf(await this.request({ type: 'get', key }));
  }

  async set(key: string, value: KvValue): Promise<void> {
    valueOf(await this.request({ type: 'set', key, value }));
  }

  /** Add `by` (default 1) to a number held by the manager; resolves with the new value. */
  async incr(key: string, by = 1): Promise<number> {
    return valueOf(await this.request({ type: 'incr', key, by })) as number;
  }

  async delete(key: string): Promise<KvValue | null> {
    return valueOf(await this.request({ type: 'delete', key }));
  }

  async keys(): Promise<string[]> {
    const reply = await this.request({ type: 'keys' });
    if (reply.type === 'error') throw new Error(reply.message);
    return reply.type === 'keys' ? reply.keys : [];
  }

  /** Close the connection. */
  close(): void {
    this.socket.end();
  }
}

// One line from the manager, if it is a reply.
function parseReply(line: string): KvReply | undefined {
  try {
    const reply: unknown = JSON.parse(line);
    return isKvReply(reply) ? reply : undefined;
  } catch {
    return undefined;
  }
}

// A value reply's value; an error reply becomes a thrown Error.
function valueOf(reply: KvReply): KvValue | null {
  switch (reply.type) {
    case 'value':
      return reply.value;
    case 'keys':
      return reply.keys;
    case 'error':
      throw new Error(reply.message);
    default: {
      const unknown: never = reply;
      throw new Error(`unknown reply ${JSON.stringify(unknown)}`);
    }
  }
}
