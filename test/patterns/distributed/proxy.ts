/**
 * A TCP proxy in front of Redis for the distributed tests: one connection at a time can be frozen, as a NAT or a
 * firewall that forgets one idle socket does. Each client connection gets its own connection to Redis; the proxy
 * reads the commands the client sends (RESP arrays, parsed as they stream by, big arguments skipped, not kept)
 * and counts them per connection, so a test can pick the connection by what it does: the one that sent BZPOPMIN
 * (a BullMQ worker's blocking connection), the one that sent BLMPOP (a coordinator's result reader).
 *
 * A frozen connection forwards nothing in either direction and closes nothing: no FIN, no RST, to either side.
 * Its client's commands just never return, and the server's replies are dropped, as they would be on the way.
 * Used by test/patterns/distributed/connections.test.ts.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** One client connection through the proxy, and what it has sent so far. */
export interface ProxiedConnection {
  readonly id: number;
  /** Commands sent, by name (upper case; `CLIENT SETNAME` for subcommands of CLIENT), and how many times. */
  readonly commands: Map<string, number>;
  /** The name given by CLIENT SETNAME, if any. */
  readonly name: string | undefined;
  readonly frozen: boolean;
  /** Both sockets closed (by a side, or by the proxy). */
  readonly closed: boolean;
  /** How many times this connection sent `command`. */
  sent(command: string): number;
}

// The proxy's own view of a connection: its two sockets and the parser's state.
class Connection implements ProxiedConnection {
  readonly commands = new Map<string, number>();
  name: string | undefined;
  frozen = false;
  closed = false;
  // Freeze as soon as this command has been passed on (freezeAfter).
  freezeAfter: string | undefined;
  // Freeze once the chunk at hand has been passed on (set while it is parsed).
  freezeSoon = false;
  private readonly parser: RespCommands;

  constructor(
    readonly id: number,
    readonly client: Socket,
    readonly upstream: Socket,
    private readonly onChange: (connection: Connection) => void,
  ) {
    this.parser = new RespCommands((args) => {
      const [first = '', second = '', third] = args;
      let command = first.toUpperCase();
      if (command === 'CLIENT') command = `CLIENT ${second.toUpperCase()}`;
      if (command === 'CLIENT SETNAME') this.name = third;
      this.commands.set(command, (this.commands.get(command) ?? 0) + 1);
      if (command === this.freezeAfter) this.freezeSoon = true;
      onChange(this);
    });
  }

  sent(command: string): number {
    return this.commands.get(command.toUpperCase()) ?? 0;
  }

  fromClient(chunk: Buffer): void {
    if (this.frozen) return;
    this.parser.push(chunk);
    this.upstream.write(chunk);
    if (this.freezeSoon) this.freeze();
  }

  fromServer(chunk: Buffer): void {
    if (!this.frozen) this.client.write(chunk);
  }

  // Silent from now on: neither side hears anything, and neither socket is closed.
  freeze(): void {
    this.frozen = true;
    this.client.pause();
    this.upstream.pause();
    this.onChange(this);
  }

  destroy(): void {
    this.closed = true;
    this.client.destroy();
    this.upstream.destroy();
  }
}

/** A proxy listening on a free loopback port, forwarding every connection to `target`. */
export class RedisProxy {
  private readonly live = new Set<Connection>();
  private readonly all: Connection[] = [];
  private readonly waiters = new Set<() => void>();
  private rule: ((connection: ProxiedConnection) => boolean) | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Start a proxy to Redis at 127.0.0.1:`targetPort`. */
  static async start(targetPort: number): Promise<RedisProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const proxy = new RedisProxy(server, typeof address === 'object' && address ? address.port : 0);
    server.on('connection', (client) => proxy.accept(client, targetPort));
    return proxy;
  }

  /** The URL clients use instead of the server's. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Every connection made so far, in order, open or closed. */
  get connections(): readonly ProxiedConnection[] {
    return this.all;
  }

  private accept(client: Socket, targetPort: number): void {
    const upstream = connect(targetPort, '127.0.0.1');
    const connection = new Connection(this.all.length + 1, client, upstream, () => {
      if (!connection.frozen && this.rule?.(connection)) connection.freezeSoon = true;
      this.changed();
    });
    this.all.push(connection);
    this.live.add(connection);
    client.on('data', (chunk: Buffer) => connection.fromClient(chunk));
    upstream.on('data', (chunk: Buffer) => connection.fromServer(chunk));
    // Closing is forwarded like data: not once frozen.
    const close = (): void => {
      if (connection.frozen) return;
      this.live.delete(connection);
      connection.destroy();
      this.changed();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', () => {});
      socket.on('end', close);
      socket.on('close', close);
    }
  }

  private changed(): void {
    for (const wake of this.waiters) wake();
  }

  /** The first connection (in order) that satisfies `predicate`, once there is one; fail after `timeoutMs`. */
  waitFor(
    predicate: (connection: ProxiedConnection) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<ProxiedConnection> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.all.find(predicate);
        if (!found) return;
        done();
        resolve(found);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a connection that ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Stop forwarding on `connection` in both directions, keeping both of its sockets open. */
  freeze(connection: ProxiedConnection): void {
    const own = this.all.find((c) => c === connection);
    if (!own) throw new Error(`connection ${connection.id} is not one of this proxy's`);
    own.freeze();
  }

  /**
   * Freeze `connection` just after it next sends `command` (passed on to the server): its reply, if any, is
   * dropped on the way, as a reply in flight is when a NAT forgets the socket. Resolves once frozen.
   */
  async freezeAfter(connection: ProxiedConnection, command: string, timeoutMs: number): Promise<void> {
    const own = this.all.find((c) => c === connection);
    if (!own) throw new Error(`connection ${connection.id} is not one of this proxy's`);
    own.freezeAfter = command.toUpperCase();
    await this.waitFor((c) => c === own && c.frozen, timeoutMs, `froze after ${command}`);
  }

  /**
   * From now on, freeze every connection that satisfies `predicate`, just after it passes on the command that
   * made it do so: a path that drops one kind of connection each time it is made anew.
   */
  freezeWhen(predicate: (connection: ProxiedConnection) => boolean): void {
    this.rule = predicate;
  }

  /** Close every socket (frozen ones too) and stop listening. */
  async close(): Promise<void> {
    for (const connection of this.all) connection.destroy();
    this.live.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// The most bytes kept of an argument: a command's name and a client's name are short.
const KEEP = 256;

/**
 * The commands in a client's byte stream, as they come, chunk by chunk: RESP arrays of bulk strings (what
 * ioredis sends). The first three arguments of each are kept (up to KEEP bytes); the rest are only counted past.
 */
class RespCommands {
  private line = '';
  private state: 'array' | 'bulk' | 'body' = 'array';
  private argsLeft = 0;
  private bodyLeft = 0; // bytes of the current bulk string still to come, with its CRLF
  private args: string[] = [];
  private current: Buffer[] = [];
  private kept = 0;
  private keep = 0; // how many bytes of the current argument are kept

  constructor(private readonly onCommand: (args: string[]) => void) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'body') {
        const take = Math.min(this.bodyLeft, chunk.length - at);
        // Kept: the argument's own bytes (not its CRLF), up to KEEP, of the first three arguments.
        const wanted = this.args.length < 3 ? Math.min(this.keep - this.kept, take) : 0;
        if (wanted > 0) {
          this.current.push(chunk.subarray(at, at + wanted));
          this.kept += wanted;
        }
        at += take;
        this.bodyLeft -= take;
        if (this.bodyLeft === 0) this.endArgument();
        continue;
      }
      const newline = chunk.indexOf(10, at);
      if (newline === -1) {
        this.line += chunk.toString('latin1', at);
        return;
      }
      this.line += chunk.toString('latin1', at, newline + 1);
      at = newline + 1;
      this.header(this.line.trimEnd());
      this.line = '';
    }
  }

  private header(line: string): void {
    const size = Number(line.slice(1));
    if (this.state === 'array') {
      if (line[0] !== '*') throw new Error(`proxy: expected a RESP array from the client, got ${line}`);
      this.argsLeft = size;
      this.args = [];
      this.state = 'bulk';
      if (size <= 0) this.endCommand();
      return;
    }
    if (line[0] !== '$') throw new Error(`proxy: expected a RESP bulk string from the client, got ${line}`);
    this.bodyLeft = size + 2;
    this.keep = Math.min(size, KEEP);
    this.current = [];
    this.kept = 0;
    this.state = 'body';
  }

  private endArgument(): void {
    this.args.push(Buffer.concat(this.current).toString('utf8'));
    this.state = 'bulk';
    if (--this.argsLeft === 0) this.endCommand();
  }

  private endCommand(): void {
    this.state = 'array';
    this.onCommand(this.args);
  }
}
