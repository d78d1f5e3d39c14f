/**
 * The broker connection: parse and check a `redis://` URL, then connect so that failure is fast and clear.
 * ioredis retries an unreachable server forever by default, so a command pointed at the wrong host would hang.
 * Here a pre-check client (no retries, short timeout) answers "reachable or not" within seconds, and the
 * clients handed to BullMQ give up after a few seconds without the server, so a lost broker ends the run
 * with one line instead of a silent hang. Credentials come only through the URL and are never printed.
 *
 * ioredis is loaded by dynamic import: nothing here costs a local command anything.
 * Try: concur demo distributed
 */
import type { Redis, RedisOptions } from 'ioredis';
import { ConcurError, UsageError } from '../../process/errors.js';

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
  /** After the connection drops, how long to keep trying before giving up. */
  reconnectForMs: number;
}

export const defaultTimeouts: BrokerTimeouts = { connectMs: 3000, reconnectForMs: 3000 };

/**
 * Connect to the broker or fail within `connectMs`: ConcurError exit 1 with a line that says what to do.
 * Returns a client ready for BullMQ (`maxRetriesPerRequest: null`, as its blocking connections need), whose
 * reconnection stops after `reconnectForMs`; it then emits 'end', which callers treat as "broker lost".
 */
export async function connectBroker(
  address: BrokerAddress,
  name: string,
  timeouts: BrokerTimeouts = defaultTimeouts,
): Promise<Redis> {
  const { Redis: RedisClient } = await import('ioredis');
  // The pre-check: one attempt, no retries, no offline queue, so errors surface at once.
  const probe = new RedisClient(address.url, {
    lazyConnect: true,
    retryStrategy: () => null,
    connectTimeout: timeouts.connectMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  probe.on('error', () => {});
  try {
    await withTimeout(
      probe.connect().then(() => probe.ping()),
      timeouts.connectMs + 500,
    );
  } catch (error) {
    throw unreachable(address, error);
  } finally {
    probe.disconnect();
  }

  let downSince = 0;
  const options: RedisOptions = {
    connectionName: name,
    connectTimeout: timeouts.connectMs,
    maxRetriesPerRequest: null,
    // Retry quickly for a few seconds (a restart or a blip), then give up: the client emits 'end'.
    retryStrategy: () => {
      const now = Date.now();
      if (downSince === 0) downSince = now;
      if (now - downSince > timeouts.reconnectForMs) return null;
      return 250;
    },
  };
  const client = new RedisClient(address.url, options);
  client.on('error', () => {});
  client.on('ready', () => {
    downSince = 0;
  });
  return client;
}

/** The one-line error for a broker that cannot be used, by cause. */
export function unreachable(address: BrokerAddress, error: unknown): ConcurError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | undefined)?.code ?? '';
  let why: string;
  if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(message))
    why = 'it refused the credentials in the URL (check user and password)';
  else if (code === 'ECONNREFUSED')
    why = 'nothing is listening there (is redis-server running? `apt-get install redis-server`)';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    why = `the host name ${address.host} does not resolve`;
  else if (/timed? ?out|ETIMEDOUT/i.test(message) || code === 'ETIMEDOUT') why = 'it did not answer in time';
  else why = message.replace(address.url, address.display);
  return new ConcurError(`cannot reach the broker at ${address.display}: ${why}.`, 1, 'EBROKER', {
    cause: error,
  });
}

/** The one-line error for a broker lost during a run. */
export function brokerLost(address: BrokerAddress, timeouts: BrokerTimeouts = defaultTimeouts): ConcurError {
  return new ConcurError(
    `lost the broker at ${address.display} (no answer for ${Math.round(timeouts.reconnectForMs / 1000)} s); stopping.`,
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
