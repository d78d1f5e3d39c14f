/**
 * Distributed fan-out against a real Redis: Debian's redis-server on a free loopback port in a temporary
 * directory, started here and stopped afterwards. Without redis-server these tests are reported as skipped.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { execa, type ResultPromise } from 'execa';
import {
  freePort,
  startLocalRedis,
  type LocalRedis,
} from '../../../dist/patterns/distributed/local-redis.js';
import {
  cleanEnv,
  concur,
  concurBytes,
  concurCommand,
  descendants,
  fixture,
  isAlive,
  until,
  waitFor,
  waitForLine,
} from '../../helpers.js';
import { available, why } from './hosts.js';

const lines = (n: number, prefix = 'item'): string[] => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);
const text = (items: string[]): string => (items.length ? `${items.join('\n')}\n` : '');
let queueCount = 0;
const newQueue = (): string => `t${process.pid}-${++queueCount}`;

// Wrapped: a running execa process is a thenable, which an async function would wait on if returned bare.
interface Host {
  run: ResultPromise;
}

/** Start `concur worker` and wait for its ready line. */
async function startHost(broker: string, queue: string, name: string, extra: string[] = []): Promise<Host> {
  const run = concur(['worker', '--broker', broker, '--queue', queue, '--name', name, '-j', '1', ...extra], {
    timeout: 120_000,
  });
  await waitForLine(run.stderr!, /ready, pulling from queue/, 20_000);
  return { run };
}

async function stopHost({ run }: Host): Promise<void> {
  if (run.pid && isAlive(run.pid)) run.kill('SIGTERM');
  await run;
}

describe.skipIf(!available)(`distributed fan-out over Redis${why}`, () => {
  let redis: LocalRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startLocalRedis({ guard: true });
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  }, 180_000);

  it('gives the same output as local fan-out, ordered and unordered, shared by two hosts, and leaves no keys', async () => {
    const queue = newQueue();
    const hosts = [
      await startHost(redis.url, queue, 'A', ['--worker', fixture('slow-upper.js')]),
      await startHost(redis.url, queue, 'B', ['--worker', fixture('slow-upper.js')]),
    ];
    try {
      const input = text(lines(600));
      const local = await concur(['fan-out', '--worker', fixture('slow-upper.js'), '-j', '2'], { input });
      expect(local.exitCode).toBe(0);

      const ordered = await concur(['fan-out', '--broker', redis.url, '--queue', queue], { input });
      expect(String(ordered.stderr)).toBe('');
      expect(ordered.exitCode).toBe(0);
      expect(String(ordered.stdout)).toBe(String(local.stdout));

      const unordered = await concur(['fan-out', '--broker', redis.url, '--queue', queue, '--unordered'], {
        input,
      });
      expect(unordered.exitCode).toBe(0);
      expect(String(unordered.stdout).split('\n').sort()).toEqual(String(local.stdout).split('\n').sort());

      const json = await concur(['fan-out', '--broker', redis.url, '--queue', queue, '--json'], { input });
      expect(json.exitCode).toBe(0);
      const records = String(json.stdout)
        .trim()
        .split('\n')
        .map((line: string) => JSON.parse(line) as Record<string, unknown>);
      const localRecords = String(
        (await concur(['fan-out', '--json', '--worker', fixture('slow-upper.js')], { input })).stdout,
      )
        .trim()
        .split('\n')
        .map((line: string) => JSON.parse(line) as Record<string, unknown>);
      // The same fields in the same order, plus the host that ran the item.
      expect(Object.keys(records[0] ?? {})).toEqual([...Object.keys(localRecords[0] ?? {}), 'host']);
      expect(records.map(({ index, input, output }) => ({ index, input, output }))).toEqual(
        localRecords.map(({ index, input, output }) => ({ index, input, output })),
      );
      // Both hosts ran items.
      expect(new Set(records.map((record) => record.host))).toEqual(new Set(['A', 'B']));
      // A clean run leaves no keys of its own (job ids start with the run id, "r…").
      expect(await client.keys(`concur:${queue}:r*`)).toEqual([]);
    } finally {
      await Promise.all(hosts.map(stopHost));
    }
  }, 180_000);

  it('keeps local fan-out line rules through the broker: CR, empty lines, non-ASCII, invalid UTF-8, no final newline', async () => {
    const queue = newQueue();
    const hosts = [
      await startHost(redis.url, queue, 'A', ['--worker', 'identity']),
      await startHost(redis.url, queue, 'B', ['--worker', 'identity']),
    ];
    try {
      // Thousands of lines, so jobs are cut across reads, with every odd kind of line among them.
      const odd = [
        Buffer.from('crlf\r\n'),
        Buffer.from('\n'),
        Buffer.from('é ü 漢字 😀\n'),
        Buffer.from([0xff, 0xfe, 0x41, 0xe2, 0x82, 0x0a]),
        Buffer.from(`${'x'.repeat(100_000)}\n`),
      ];
      const parts: Buffer[] = [];
      for (let i = 0; i < 20_000; i++)
        parts.push(i % 997 === 0 ? (odd[(i / 997) % odd.length] as Buffer) : Buffer.from(`line ${i}\n`));
      parts.push(Buffer.from('last line, no newline'));
      const input = Buffer.concat(parts);
      for (const extra of [[], ['--json']]) {
        const local = await concurBytes(['fan-out', '--worker', 'identity', '-j', '2', ...extra], { input });
        const remote = await concurBytes(['fan-out', '--broker', redis.url, '--queue', queue, ...extra], {
          input,
        });
        expect(remote.exitCode).toBe(0);
        const strip = (out: unknown): string =>
          Buffer.from(out as Uint8Array)
            .toString('latin1')
            .replace(/,"host":"[AB]"/g, '')
            .replace(/,"worker":\d+,"pid":\d+,"attempts":\d+/g, '');
        expect(strip(local.stdout)).toContain('last line, no newline');
        expect(strip(remote.stdout)).toBe(strip(local.stdout));
      }
    } finally {
      await Promise.all(hosts.map(stopHost));
    }
  }, 180_000);

  it('| head -1 ends quietly with exit 0 and forgets the run in Redis: no keys, no jobs left waiting', async () => {
    const queue = newQueue();
    const hosts = [await startHost(redis.url, queue, 'A', ['--worker', 'identity'])];
    try {
      const broker = concurCommand(['fan-out', '--broker', redis.url, '--queue', queue]);
      const command = `seq 3000000 | ${broker} | head -1; echo "status \${PIPESTATUS[1]}" >&2`;
      const result = await execa('bash', ['-c', command], {
        env: cleanEnv(),
        reject: false,
        timeout: 60_000,
      });
      expect(result.stdout).toBe('1');
      expect(result.stderr).toBe('status 0');
      // The run's key, its results, its batches' lines, and the jobs no host took: gone at exit.
      expect(await client.keys(`concur:${queue}:run:*`)).toEqual([]);
      expect(await client.llen(`concur:${queue}:wait`)).toBe(0);
      // A batch a host held runs to its end (its result, with the run gone, is written nowhere), then leaves.
      await until(
        async () => (await client.keys(`concur:${queue}:r*`)).length === 0,
        30_000,
        'the batches held by the host to end and leave',
      );
      // The host still serves the queue.
      const after = await concur(['fan-out', '--broker', redis.url, '--queue', queue], {
        input: text(lines(3)),
      });
      expect(String(after.stdout)).toBe(lines(3).join('\n'));
    } finally {
      await Promise.all(hosts.map(stopHost));
    }
  }, 180_000);

  it('finishes every item exactly once, in order, when one host is SIGKILLed mid-run; its pool dies with it', async () => {
    const queue = newQueue();
    const worker = ['--worker', fixture('slow-upper.js'), '--lock-ms', '1500'];
    const a = await startHost(redis.url, queue, 'A', worker);
    const b = await startHost(redis.url, queue, 'B', worker);
    const pool = descendants(a.run.pid!);
    expect(pool.length).toBeGreaterThan(0);
    try {
      const items = lines(1500);
      const run = concur(['fan-out', '--broker', redis.url, '--queue', queue, '--json'], {
        input: text(items),
      });
      // Kill A once results are flowing (it then holds batches of its own).
      await waitForLine(run.stdout!, /"host":"A"/, 20_000);
      a.run.kill('SIGKILL');
      const result = await run;
      expect(result.exitCode).toBe(0);
      const records = String(result.stdout)
        .trim()
        .split('\n')
        .map((line: string) => JSON.parse(line) as Record<string, unknown>);
      expect(records.map((record) => record.index)).toEqual(items.map((_, i) => i));
      expect(records.map((record) => record.output)).toEqual(items.map((item) => item.toUpperCase()));
      expect(records.some((record) => record.host === 'B')).toBe(true);
      await waitFor(() => pool.every((pid) => !isAlive(pid)), 5000, "the killed host's pool to exit");
    } finally {
      await Promise.all([a, b].map(stopHost));
    }
  }, 180_000);

  it('a batch that runs longer than its lock keeps it (renewed while it runs): never retaken, run exactly once', async () => {
    const queue = newQueue();
    // Lock 1.5 s; each item counts the primes below 16 million, seconds of CPU on any machine.
    const worker = ['--worker', 'count-primes', '--lock-ms', '1500'];
    const hosts = [
      await startHost(redis.url, queue, 'A', worker),
      await startHost(redis.url, queue, 'B', worker),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'concur-lock-'));
    try {
      const items = ['16000000', '16000001', '16000002'];
      const eventsFile = join(dir, 'run.ndjson');
      const run = await concur(
        ['fan-out', '--broker', redis.url, '--queue', queue, '--json', '--events', eventsFile],
        { input: text(items), timeout: 170_000 },
      );
      expect(run.exitCode).toBe(0);
      // A batch taken back from a host that still held it would be told here.
      expect(String(run.stderr)).not.toMatch(/stopped answering/);
      const records = String(run.stdout)
        .trim()
        .split('\n')
        .map((line: string) => JSON.parse(line) as Record<string, unknown>);
      expect(records.map((record) => record.index)).toEqual([0, 1, 2]);
      expect(new Set(records.map((record) => record.output)).size).toBe(1);
      expect(records.every((record) => record.attempts === 1)).toBe(true);
      // Every batch ran for longer than the lock: without renewal, the other host would have taken it.
      const events = readFileSync(eventsFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { kind: string; ts: number; data?: Record<string, unknown> });
      const batchEvents = (kind: string): { ts: number; data?: Record<string, unknown> }[] =>
        events.filter((e) => e.kind === kind && e.data?.task === 'batch');
      const starts = batchEvents('start');
      expect(starts).toHaveLength(3);
      for (const start of starts) {
        const end = batchEvents('end').find((e) => e.data?.jobId === start.data?.jobId);
        expect(end!.ts - start.ts).toBeGreaterThan(1500);
      }
      // Each host counts what it ran: a batch run twice would count twice.
      for (const { run: host } of hosts) host.kill('SIGTERM');
      const ran = (await Promise.all(hosts.map(({ run: host }) => host))).map((host) => {
        // The last count, said on the way out (a busy host also says it every few seconds).
        const counts = [...String(host.stderr).matchAll(/: (\d+) items in \d+ batch/g)].pop();
        return Number(counts?.[1] ?? NaN);
      });
      expect(ran.reduce((sum, n) => sum + n, 0)).toBe(3);
    } finally {
      await Promise.all(hosts.map(stopHost));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('reports a poison item like local fan-out: by content, the others complete, exit 1', async () => {
    const queue = newQueue();
    const host = await startHost(redis.url, queue, 'A', ['--worker', fixture('poison.js')]);
    try {
      const input = text(['one', 'two poison', 'three']);
      const local = await concur(['fan-out', '--worker', fixture('poison.js')], { input });
      const remote = await concur(['fan-out', '--broker', redis.url, '--queue', queue], { input });
      expect(remote.exitCode).toBe(1);
      expect(remote.exitCode).toBe(local.exitCode);
      expect(String(remote.stdout)).toBe('ONE\nTHREE');
      expect(String(remote.stdout)).toBe(String(local.stdout));
      expect(String(remote.stderr)).toBe(String(local.stderr));
      expect(String(remote.stderr)).toContain('cannot digest two poison');
    } finally {
      await stopHost(host);
    }
  }, 180_000);

  it('keeps two runs on one queue apart', async () => {
    const queue = newQueue();
    const host = await startHost(redis.url, queue, 'A', ['--worker', 'upper']);
    try {
      const [x, y] = await Promise.all([
        concur(['fan-out', '--broker', redis.url, '--queue', queue], { input: text(lines(3000, 'x')) }),
        concur(['fan-out', '--broker', redis.url, '--queue', queue], { input: text(lines(3000, 'y')) }),
      ]);
      expect(String(y.stderr) + String(x.stderr)).toBe('');
      expect(String(x.stdout)).toBe(lines(3000, 'X').join('\n'));
      expect(String(y.stdout)).toBe(lines(3000, 'Y').join('\n'));
    } finally {
      await stopHost(host);
    }
  }, 180_000);

  it('a worker host stops on SIGTERM (143) and SIGINT (130) with no pool process left', async () => {
    for (const [signal, code] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      const host = await startHost(redis.url, newQueue(), 'A', ['-j', '2']);
      // Two pool workers and the guardian that watches them.
      const pool = descendants(host.run.pid!);
      expect(pool.length).toBe(3);
      host.run.kill(signal);
      const result = await host.run;
      expect(result.exitCode).toBe(code);
      expect(String(result.stdout)).toBe('');
      await waitFor(() => pool.every((pid) => !isAlive(pid)), 5000, 'the pool to exit');
    }
  }, 180_000);

  it('fails fast and clearly when Redis is not there, without printing credentials', async () => {
    const port = await freePort();
    const started = Date.now();
    const down = await concur(['fan-out', '--broker', `redis://user:s3cret@127.0.0.1:${port}`], {
      input: 'a\n',
    });
    expect(down.exitCode).toBe(1);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(String(down.stderr).trim().split('\n')).toHaveLength(1);
    expect(String(down.stderr)).toContain(`cannot reach the broker at redis://user:***@127.0.0.1:${port}`);
    expect(String(down.stderr)).not.toContain('s3cret');
    expect(String(down.stdout)).toBe('');

    const host = await concur(['worker', '--broker', `redis://127.0.0.1:${port}`]);
    expect(host.exitCode).toBe(1);
    expect(String(host.stderr)).toContain('cannot reach the broker');

    const malformed = await concur(['fan-out', '--broker', 'http://x:pw@host'], { input: 'a\n' });
    expect(malformed.exitCode).toBe(2);
    expect(String(malformed.stderr)).not.toContain('pw');
    const missing = await concur(['worker']);
    expect(missing.exitCode).toBe(2);
    const badModule = await concur(['worker', '--broker', redis.url, '--worker', './no-such.js']);
    expect(badModule.exitCode).toBe(2);
    expect(String(badModule.stderr)).toContain('module not found');
  }, 180_000);

  it('ends with a clear error when Redis dies mid-run: no hang, nothing written twice', async () => {
    const own = await startLocalRedis({ guard: true });
    const queue = newQueue();
    const host = await startHost(own.url, queue, 'A', ['--worker', fixture('slow-upper.js')]);
    try {
      const items = lines(3000);
      const run = concur(['fan-out', '--broker', own.url, '--queue', queue], { input: text(items) });
      await waitForLine(run.stdout!, /ITEM 10\n/, 20_000);
      own.process.kill('SIGKILL');
      const started = Date.now();
      const result = await run;
      // Detection takes about 3 s (the clients stop retrying); the bound leaves room for a loaded machine.
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(result.exitCode).toBe(1);
      expect(String(result.stderr)).toContain('lost the broker');
      const out = String(result.stdout).split('\n');
      expect(out.length).toBeLessThan(items.length);
      expect(out).toEqual(items.slice(0, out.length).map((item) => item.toUpperCase()));
      const hostResult = await host.run;
      expect(hostResult.exitCode).toBe(1);
      expect(String(hostResult.stderr)).toContain('lost the broker');
    } finally {
      await stopHost(host);
      await own.stop();
    }
  }, 180_000);
});
