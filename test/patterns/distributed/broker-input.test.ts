/**
 * Distributed fan-out and what comes in from outside: credentials (never written anywhere concur writes),
 * connection errors (one line naming the cause), jobs pushed by hand (refused at once, no keys left), and hosts
 * that run different code (the run stops). Each test starts its own redis-server on a free loopback port.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import {
  freePort,
  startLocalRedis,
  type LocalRedis,
} from '../../../dist/patterns/distributed/local-redis.js';
import { concur, fixture, tempDirs, until, waitForLine } from '../../helpers.js';
import { available, why, startHost, stopHost } from './hosts.js';

const tempDir = tempDirs('dist-input');

const lines = (n: number, prefix = 'item'): string[] => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);
const text = (items: string[]): string => (items.length ? `${items.join('\n')}\n` : '');
const upper = (items: string[]): string => items.map((item) => item.toUpperCase()).join('\n');

const cmdline = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');

describe.skipIf(!available)(`distributed fan-out: input from outside${why}`, () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  async function redis(password?: string): Promise<{ server: LocalRedis; client: Redis }> {
    const server = await startLocalRedis({ guard: true, password });
    const client = new Redis(server.url);
    cleanup.push(() => server.stop());
    cleanup.push(() => client.disconnect());
    return { server, client };
  }

  it('never writes the password: not in --events, --trace, --json, stderr, the event stream or ps', async () => {
    const password = 'Sup3r-Secret-Pw';
    const { server, client } = await redis(password);
    const dir = tempDir();
    const file = (name: string): string => join(dir, name);
    // The host: URL from the environment, recording events and a trace.
    const host = concur(
      ['worker', '--queue', 'q', '--name', 'A', '-j', '1', '--worker', fixture('slow-upper.js')].concat([
        '--events',
        file('host.ndjson'),
        '--trace',
        file('host.json'),
      ]),
      { timeout: 200_000, env: { CONCUR_BROKER: server.url } },
    );
    cleanup.push(() => stopHost({ run: host }));
    await waitForLine(host.stderr!, /ready, pulling from queue/, 60_000);
    // The worst case: the URL on the coordinator's own command line.
    const items = lines(3000);
    const onArgv = concur(
      ['fan-out', '--broker', server.url, '--queue', 'q', '--json', '--events', file('c1.ndjson')].concat([
        '--trace',
        file('c1.json'),
      ]),
      { input: text(items), timeout: 120_000 },
    );
    await waitForLine(onArgv.stdout!, /"index":5,/, 60_000);
    const seenInPs = [cmdline(onArgv.pid!), cmdline(host.pid!)];
    writeFileSync(file('url'), `${server.url}\n`);
    const [first, fromFile, fromEnv] = await Promise.all([
      onArgv,
      concur(['fan-out', '--broker-file', file('url'), '--queue', 'q', '--events', file('c2.ndjson')], {
        input: text(items.slice(0, 50)),
        timeout: 120_000,
      }),
      concur(['fan-out', '--broker', '--queue', 'q', '--trace', file('c3.json')], {
        input: text(items.slice(0, 50)),
        timeout: 120_000,
        env: { CONCUR_BROKER: server.url },
      }),
    ]);
    for (const run of [first, fromFile, fromEnv]) expect(run.exitCode).toBe(0);
    expect(String(fromFile.stdout)).toBe(upper(items.slice(0, 50)));
    expect(String(fromEnv.stdout)).toBe(upper(items.slice(0, 50)));
    host.kill('SIGTERM');
    const hostResult = await host;
    expect(hostResult.exitCode).toBe(143);
    const written = [
      ...seenInPs,
      ...['host.ndjson', 'host.json', 'c1.ndjson', 'c1.json', 'c2.ndjson', 'c3.json'].map((name) =>
        readFileSync(file(name), 'utf8'),
      ),
      ...[first, fromFile, fromEnv, hostResult].flatMap((run) => [String(run.stdout), String(run.stderr)]),
      JSON.stringify(await client.xrange('concur:q:events', '-', '+')),
      (await client.keys('*')).join(' '),
    ];
    // Something was recorded (the check is not vacuous), and the password is nowhere.
    expect(readFileSync(file('c1.ndjson'), 'utf8')).toContain('redis://:***@127.0.0.1');
    for (const content of written) expect(content).not.toContain(password);
  }, 240_000);

  it('names the cause of a connection failure in one line, exit 1, password masked', async () => {
    const { server } = await redis('right-password');
    const port = await freePort();
    const cases: [string, RegExp][] = [
      [`redis://user:s3cret@127.0.0.1:${port}`, /nothing is listening there/],
      ['redis://no-such-host.invalid:6379', /the host name no-such-host\.invalid does not resolve/],
      [`redis://:wrong-password@127.0.0.1:${server.port}`, /refused the user name or password.*WRONGPASS/],
      [`redis://127.0.0.1:${server.port}`, /needs a password and the URL has none \(NOAUTH\)/],
    ];
    for (const [url, cause] of cases)
      for (const args of [['fan-out', '--broker', url], ['worker']]) {
        const result = await concur(args, { input: 'a\n', env: { CONCUR_BROKER: url }, timeout: 60_000 });
        expect(result.exitCode).toBe(1);
        const stderr = String(result.stderr).trim().split('\n');
        expect(stderr).toHaveLength(1);
        expect(stderr[0]).toMatch(/^concur: cannot reach the broker at redis:\/\//);
        expect(stderr[0]).toMatch(cause);
        expect(stderr[0]).not.toMatch(/s3cret|wrong-password|right-password/);
        expect(String(result.stdout)).toBe('');
      }
  }, 180_000);

  it('refuses a job pushed by hand that is not JSON, of the wrong shape, or huge: at once, no keys left, no loop', async () => {
    const { server, client } = await redis();
    const connection = new Redis(server.url, { maxRetriesPerRequest: null });
    connection.on('error', () => {});
    const queue = new Queue('q', { connection, prefix: 'concur' });
    cleanup.push(() => connection.disconnect());
    cleanup.push(() => queue.close());
    await queue.add('x', {}, { jobId: 'notjson' });
    await client.hset('concur:q:notjson', 'data', 'this is {not JSON');
    await queue.add('x', { hello: 'world' }, { jobId: 'wrongshape' });
    const huge = Array.from({ length: 2_000_000 }, (_, i) => `line ${i}`);
    await queue.add('x', { type: 'batch', run: 'rhuge', first: 0, inputs: huge }, { jobId: 'huge' });
    // Jobs whose lines wait under a key: a key outside their run, a key gone, too many bytes, a wrong count.
    await client.set('concur:q:secret', 'the password\n');
    const keyJob = (id: string, run: string, key: string, count = 1) =>
      queue.add('x', { type: 'batch-key', run, first: 0, count, key }, { jobId: id });
    await keyJob('foreignkey', 'rk', 'concur:q:secret');
    await keyJob('nolines', 'rk', 'concur:q:run:rk:batch:1');
    await client.set('concur:q:run:rk:batch:2', Buffer.alloc(33 * 1024 * 1024, 'x\n'));
    await keyJob('bigkey', 'rk', 'concur:q:run:rk:batch:2');
    await client.set('concur:q:run:rk:batch:3', 'a\nb\n');
    await keyJob('miscount', 'rk', 'concur:q:run:rk:batch:3', 3);
    const started = Date.now();
    const host = await startHost(server.url, 'q', 'A', ['--worker', 'upper']);
    cleanup.push(() => stopHost(host));
    // The three refusals, in whatever order the host took the jobs.
    const reasons = [
      /refused job notjson: malformed batch: the job data is not JSON/,
      /refused job wrongshape: malformed batch/,
      /refused job huge: batch too large: 2000000 lines/,
      /refused job foreignkey: malformed batch: its key is not one of run rk's batch keys/,
      /refused job nolines: the batch's lines are gone from the broker/,
      /refused job bigkey: batch too large: 34603008 bytes/,
      /refused job miscount: malformed batch: its key holds 2 lines, its count says 3/,
    ];
    await until(async () => reasons.every((reason) => reason.test(host.said())), 60_000, 'seven refusals');
    await until(
      async () =>
        (await client.keys('concur:q:*')).every(
          (key) => !/notjson|wrongshape|huge|foreignkey|nolines|bigkey|miscount/.test(key),
        ),
      60_000,
      'the refused jobs to leave no keys',
    );
    console.log(`seven bad jobs refused and removed ${Date.now() - started} ms after the host started`);
    // Nothing outside a job's own run was read or touched.
    expect(await client.get('concur:q:secret')).toBe('the password\n');
    expect(host.said()).not.toContain('the password');
    expect(await client.zcard('concur:q:failed')).toBe(0);
    expect(await client.llen('concur:q:wait')).toBe(0);
    // The host goes on serving, and took each bad job once.
    const run = await concur(['fan-out', '--broker', server.url, '--queue', 'q'], {
      input: text(lines(100)),
      timeout: 60_000,
    });
    expect(run.exitCode).toBe(0);
    expect(String(run.stdout)).toBe(upper(lines(100)));
    host.run.kill('SIGTERM');
    const stderr = String((await host.run).stderr);
    // Each bad job refused, none looped: a lock lost on a starved machine may hand a job back (BullMQ's stalled
    // check), at most maxStalledCount (3) times, so a job is refused at most 4 times, never for ever.
    for (const id of ['notjson', 'wrongshape', 'huge', 'foreignkey', 'nolines', 'bigkey', 'miscount']) {
      const times = stderr.match(new RegExp(`refused job ${id}:`, 'g'))?.length ?? 0;
      expect(times, id).toBeGreaterThanOrEqual(1);
      expect(times, id).toBeLessThanOrEqual(4);
    }
  }, 240_000);

  it('stops when two hosts run different modules, naming both', async () => {
    const { server } = await redis();
    const a = await startHost(server.url, 'q', 'A', ['--worker', 'upper']);
    cleanup.push(() => stopHost(a));
    const run = concur(['fan-out', '--broker', server.url, '--queue', 'q'], {
      stdin: 'pipe',
      timeout: 120_000,
    });
    run.stdin!.write(text(lines(5, 'a')));
    await waitForLine(run.stdout!, /A 4\n/, 60_000);
    a.run.kill('SIGTERM');
    await a.run;
    const b = await startHost(server.url, 'q', 'B', ['--worker', 'identity']);
    cleanup.push(() => stopHost(b));
    run.stdin!.end(text(lines(5, 'b')));
    const result = await run;
    expect(result.exitCode).toBe(1);
    expect(String(result.stdout)).toBe(upper(lines(5, 'a')));
    const stderr = String(result.stderr).trim().split('\n');
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(
      /^concur: hosts disagree on the work: A runs upper \(sha256 [0-9a-f]{12}\) and B runs identity \(sha256 [0-9a-f]{12}\)/,
    );
  }, 180_000);
});
