/**
 * A throwaway redis-server for the demo, the tests and the benchmark: Debian's `redis-server` on a free
 * loopback port, in a temporary directory, with persistence off. It is a plain child process (not Node), so it
 * cannot watch an IPC channel itself: when asked, concur's guardian process kills it if this process dies,
 * even by SIGKILL.
 * Try: concur demo distributed
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConcurError } from '../../process/errors.js';
import { guardProcess } from '../../process/children.js';
import { track } from '../../process/children.js';

/** A running throwaway Redis. */
export interface LocalRedis {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Shut it down (SIGTERM, then SIGKILL) and remove its directory. */
  stop(): Promise<void>;
}

/** True when `redis-server` is on the PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** How to start a throwaway Redis. */
export interface LocalRedisOptions {
  /** The guardian kills the server if this process dies without stopping it (for the demo). */
  guard?: boolean;
  timeoutMs?: number;
  /** A given port (to restart a server where clients expect it) instead of a free one. */
  port?: number;
  /** Require this password (`--requirepass`); the URL carries it. */
  password?: string;
  /** Addresses to listen on besides 127.0.0.1 (a test's own veth address). */
  bind?: string[];
}

/** Start redis-server on a free loopback port and wait for "Ready to accept connections". */
export async function startLocalRedis(options: LocalRedisOptions = {}): Promise<LocalRedis> {
  if (!hasRedisServer())
    throw new ConcurError(
      'redis-server is not installed: `apt-get install redis-server` (or run one in a container and pass --broker).',
      2,
      'ENOREDIS',
    );
  // A port can be taken between freePort() and the server's bind: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(options.port ?? (await freePort()), options);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(port: number, options: LocalRedisOptions): Promise<LocalRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'concur-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', ...(options.bind ?? [])];
  args.push('--save', '', '--appendonly', 'no');
  // Protected mode serves loopback only when there is no password; a test's own veth address needs it off.
  if (options.bind?.length) args.push('--protected-mode', 'no');
  // Given on stdin as a config line, so the password is not in redis-server's own argv either.
  if (options.password !== undefined) args.unshift('-');
  const child = spawn('redis-server', args, { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.end(options.password === undefined ? '' : `requirepass "${options.password}"\n`);
  track(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start: ${output.slice(-300)}`)),
        options.timeoutMs ?? 10_000,
      );
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${output.slice(-300)}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    cleanup();
    throw error;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  if (options.guard) guardProcess(child);
  return {
    url: `redis://${options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`}127.0.0.1:${port}`,
    port,
    pid: child.pid ?? 0,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    },
  };
}
