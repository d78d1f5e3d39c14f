/**
 * The broker connection: find, parse and check a `redis://` URL, then connect so that failure is fast and clear.
 * ioredis retries an unreachable server forever by default, so a command pointed at the wrong host would hang.
 * Here a pre-check client (no retries, short timeout) answers "reachable or not" within seconds, naming the
 * cause its 'error' event carried (refused, unknown host, timed out, credentials, TLS). After that the clients
 * reconnect quietly, and a watchdog (watch.ts) decides when the broker is lost, from how long it has been silent.
 * Credentials come only through the URL (from --broker, --broker-file or CONCUR_BROKER) and are never printed.
 *
 * ioredis and BullMQ are loaded only when a broker is used (`loadBullmq`, `connectBroker`): nothing here costs a
 * local command anything.
 * Try: concur demo distributed
 */
import { readFileSync } from 'node:fs';
import type * as BullMQ from 'bullmq';
import type * as IORedis from 'ioredis';
import type { Redis, RedisOptions } from 'ioredis';
import { ConcurError, UsageError } from '../../process/errors.js';
import { maskCredentials } from '../../trace/events.js';
import { loadBroker } from '../../vendor/load.js';

/**
 * BullMQ, loaded when a run or a host starts: from the build's bundle with its code cache (src/vendor/load.ts),
 * one file instead of 246 modules. With require, not import(), where there is no bundle: both it and ioredis are
 * CommonJS, and import() would first scan every file of theirs for its exports.
 */
export function loadBullmq(): typeof BullMQ {
  return loadBroker().bullmq as typeof BullMQ;
}

/**
 * A password typed on the command line shows in `ps` to every local user: once read, mask it in this process's
 * title (on Linux that rewrites /proc/<pid>/cmdline). It was visible until then: prefer CONCUR_BROKER or a file.
 */
export function maskProcessTitle(argv: readonly string[] = process.argv): void {
  const masked = maskCredentials(argv);
  if (masked.some((arg, k) => arg !== argv[k])) process.title = masked.join(' ');
}

/** The environment variable that may hold the broker URL (kept off the command line, out of `ps`). */
export const BROKER_ENV = 'CONCUR_BROKER';

/**
 * The broker URL from, in order: `--broker <url>`, `--broker-file <path>` (first line), `CONCUR_BROKER`.
 * `--broker` given with no value means "from the file or the environment". Undefined when none is given.
 */
export function findBrokerUrl(
  given: { broker?: string | boolean; brokerFile?: string },
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (typeof given.broker === 'string') return given.broker;
  if (given.brokerFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(given.brokerFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new UsageError(
        `--broker-file: cannot read ${given.brokerFile} (${code}); give a file whose first line is redis://host:6379.`,
        'EBROKERURL',
      );
    }
    const url = text.split('\n')[0]?.trim() ?? '';
    if (url === '')
      throw new UsageError(
        `--broker-file: ${given.brokerFile} is empty; put the URL on its first line.`,
        'EBROKERURL',
      );
    return url;
  }
  const fromEnv = env[BROKER_ENV]?.trim();
  if (fromEnv) return fromEnv;
  if (given.broker === true)
    throw new UsageError(
      `--broker without a URL takes it from ${BROKER_ENV} or --broker-file, and neither is set.`,
      'EBROKERURL',
    );
  return undefined;
}

/** A checked broker address. `display` is safe to print (no password); `url` is not. */
export interface BrokerAddress {
  /** The URL as given, credentials included: pass it to clients only, never print it. */
  readonly url: string;
  /** `redis://user:***@host:6379/0`: what messages show. */
  readonly display: string;
  readonly host: string;
  readonly port: number;
  /** `rediss://`: TLS. */
  readonly tls: boolean;
}

const schemes = new Set(['redis:', 'rediss:']);

/**
 * Parse `--broker`. Anything malformed is a UsageError (exit 2) whose message shows the URL with its password
 * masked. Accepts `redis://[user:pass@]host[:port][/db]` and `rediss://` for TLS.
 */
export function parseBrokerUrl(spec: string): BrokerAddress {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new UsageError(
      `--broker: '${maskInText(spec)}' is not a URL; give one like redis://127.0.0.1:6379 (rediss:// for TLS).`,
      'EBROKERURL',
    );
  }
  if (!schemes.has(url.protocol)) {
    const hint = url.protocol.startsWith('postgres') ? ' (the PostgreSQL backend is not supported yet)' : '';
    throw new UsageError(
      `--broker: unsupported scheme '${url.protocol}'${hint}; use redis://host:6379 or rediss://host:6379.`,
      'EBROKERURL',
    );
  }
  const display = redact(url);
  if (url.hostname === '')
    throw new UsageError(
      `--broker: ${display} names no host; give one like redis://127.0.0.1:6379.`,
      'EBROKERURL',
    );
  const port = url.port === '' ? 6379 : Number(url.port);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db))
    throw new UsageError(`--broker: ${display}: the path must be a database number, like /0.`, 'EBROKERURL');
  return { url: spec, display, host: url.hostname, port, tls: url.protocol === 'rediss:' };
}

// The URL with its password (and a bare username used as a password) replaced by ***.
function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password !== '') copy.password = '***';
  else if (copy.username !== '') copy.username = '***';
  return copy.href.replace(/\/$/, '');
}

// For text that did not even parse as a URL: mask whatever sits between "//" and "@".
function maskInText(text: string): string {
  return text.replace(/\/\/[^/@]*@/, '//***@');
}

/** How patient the clients are. Short on purpose: a broker that is gone should end a run within seconds. */
export interface BrokerTimeouts {
  /** Time allowed for the first connection and PING. */
  connectMs: number;
  /**
   * How long the broker may stay silent (no reply on any connection, whatever the reason: a cut link, a dead
   * server, a frozen one) before the run or host stops with "lost the broker". A cut shorter than this recovers.
   */
  silentMs: number;
}

export const defaultTimeouts: BrokerTimeouts = { connectMs: 3000, silentMs: 10_000 };

/**
 * Connect to the broker or fail within `connectMs`: ConcurError exit 1 with a line that says what to do.
 * Returns a client ready for BullMQ (`maxRetriesPerRequest: null`, as its blocking connections need), whose
 * reconnection goes on quietly for as long as the process lives: the silence watch (watch.ts), not the client,
 * decides that the broker is lost.
 */
export async function connectBroker(
  address: BrokerAddress,
  name: string,
  timeouts: BrokerTimeouts = defaultTimeouts,
): Promise<Redis> {
  // The ioredis that BullMQ was bundled with: the connections it is given must be its own kind.
  const { Redis: RedisClient } = loadBroker().ioredis as typeof IORedis;
  // The pre-check: one attempt, no retries, no offline queue, so errors surface at once.
  const probe = new RedisClient(address.url, {
    lazyConnect: true,
    retryStrategy: () => null,
    connectTimeout: timeouts.connectMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  // connect() rejects with a bare "Connection is closed."; the cause (ECONNREFUSED, WRONGPASS…) comes here.
  let cause: unknown;
  probe.on('error', (error: unknown) => {
    cause ??= error;
  });
  try {
    await withTimeout(
      probe.connect().then(() => probe.ping()),
      timeouts.connectMs + 500,
    );
  } catch (error) {
    throw unreachable(address, pickCause(cause, error));
  } finally {
    probe.disconnect();
  }

  const options: RedisOptions = {
    connectionName: name,
    connectTimeout: timeouts.connectMs,
    maxRetriesPerRequest: null,
    // Reconnect for as long as the process lives: the watchdog, not the client, decides when to give up.
    retryStrategy: (times) => Math.min(1000, 100 * times),
  };
  const client = new RedisClient(address.url, options);
  client.on('error', () => {});
  return client;
}

// The error that says most: a credentials or TLS error beats a connect() failure that only says "closed".
function pickCause(fromEvent: unknown, fromCall: unknown): unknown {
  const text = (error: unknown): string => (error instanceof Error ? error.message : String(error));
  if (fromEvent === undefined) return fromCall;
  if (/NOAUTH|WRONGPASS/i.test(text(fromCall))) return fromCall;
  return fromEvent;
}

/** The one-line error for a broker that cannot be used, by cause. */
export function unreachable(address: BrokerAddress, error: unknown): ConcurError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | undefined)?.code ?? '';
  let why: string;
  if (/WRONGPASS|invalid password|invalid username/i.test(message))
    why = 'it refused the user name or password in the URL (WRONGPASS): check them';
  else if (/NOAUTH/i.test(message))
    why = 'it needs a password and the URL has none (NOAUTH): use redis://:PASSWORD@host:port';
  else if (/SSL|TLS|certificate|EPROTO|CERT_|self.signed/i.test(`${code} ${message}`))
    why = `the TLS handshake failed (${code || message.split('\n')[0]}): check rediss:// against the server's TLS setup`;
  else if (code === 'ECONNREFUSED')
    why = 'nothing is listening there (is redis-server running? `apt-get install redis-server`)';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    why = `the host name ${address.host} does not resolve`;
  else if (/timed? ?out|ETIMEDOUT/i.test(message) || code === 'ETIMEDOUT')
    why = 'it did not answer in time (a firewall, a wrong address, or a server too busy to reply)';
  else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') why = `there is no route to ${address.host}`;
  else why = mask(message, address);
  return new ConcurError(`cannot reach the broker at ${address.display}: ${why}.`, 1, 'EBROKER', {
    cause: error,
  });
}

// Any text that might quote the URL or its password: both replaced by what is safe to show.
function mask(text: string, address: BrokerAddress): string {
  let out = text.split(address.url).join(address.display);
  const password = passwordOf(address.url);
  if (password) out = out.split(password).join('***');
  return out.split('\n')[0] ?? '';
}

function passwordOf(url: string): string {
  try {
    const parsed = new URL(url);
    return decodeURIComponent(parsed.password || parsed.username);
  } catch {
    return '';
  }
}

/** The one-line error for a broker lost during a run: how long it has been silent, measured. */
export function brokerLost(address: BrokerAddress, silentMs: number): ConcurError {
  return new ConcurError(
    `lost the broker at ${address.display}: no answer for ${(silentMs / 1000).toFixed(1)} s; stopping.`,
    1,
    'EBROKERLOST',
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A queue name becomes part of Redis keys and job ids: letters, digits, `.`, `_` and `-` only. */
export function checkQueueName(name: string): string {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name))
    throw new UsageError(
      `--queue: '${name}' is not a usable queue name; use letters, digits, '.', '_' or '-' (no ':').`,
      'EQUEUE',
    );
  return name;
}

/** A timer that never holds the process open: the bound on a close that a lost broker could hang. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
