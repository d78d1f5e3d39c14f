/**
 * Distributed fan-out under faults: every wait has a bound and a reason. Redis killed and restarted empty, and
 * (as root, with `ip netns`) a host or the coordinator behind a veth link that is cut: briefly (the run goes
 * on), for 30 s then healed, or for good (the cut side stops with exit 1 and the silence it measured).
 * Measured times are printed; the only bound asserted is the issue's own (15 s), with room to spare in the
 * test's timeout, not in the assertion.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { startLocalRedis, type LocalRedis } from '../../../dist/patterns/distributed/local-redis.js';
import { cleanEnv, concur, concurBin, fixture, isAlive, waitForLine } from '../../helpers.js';
import { available, why } from './hosts.js';

const isRoot = process.getuid?.() === 0;
const hasIp = spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0;
const netnsWhy = !isRoot
  ? ' (skipped: needs root for ip netns)'
  : !hasIp
    ? ' (skipped: no usable `ip netns`)'
    : '';

const lines = (n: number, prefix = 'item'): string[] => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);
const text = (items: string[]): string => (items.length ? `${items.join('\n')}\n` : '');
const upper = (items: string[]): string => items.map((item) => item.toUpperCase()).join('\n');

/** A network namespace joined to this one by a veth pair: `cut()` takes the link down, `heal()` up. */
interface Netns {
  name: string;
  /** This side's address (where Redis listens) and the namespace's. */
  outside: string;
  inside: string;
  cut(): void;
  heal(): void;
  remove(): void;
}

let netnsCount = 0;
function makeNetns(): Netns {
  const n = (process.pid * 7 + ++netnsCount) % 250;
  const tag = `${process.pid % 100_000}${netnsCount}`;
  const name = `concur-t${tag}`;
  const outer = `vc${tag}o`;
  const inner = `vc${tag}i`;
  const [outside, inside] = [`10.231.${n}.1`, `10.231.${n}.2`];
  const ip = (...args: string[]): void => {
    const result = spawnSync('ip', args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr}`);
  };
  ip('netns', 'add', name);
  ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
  ip('link', 'set', inner, 'netns', name);
  ip('addr', 'add', `${outside}/30`, 'dev', outer);
  ip('link', 'set', outer, 'up');
  ip('netns', 'exec', name, 'ip', 'addr', 'add', `${inside}/30`, 'dev', inner);
  ip('netns', 'exec', name, 'ip', 'link', 'set', inner, 'up');
  ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
  // A heal timed for after the test (the coordinator gave up first) must not throw once the link is gone.
  let removed = false;
  return {
    name,
    outside,
    inside,
    cut: () => ip('link', 'set', outer, 'down'),
    heal: () => {
      if (!removed) ip('link', 'set', outer, 'up');
    },
    remove: () => {
      removed = true;
      spawnSync('ip', ['link', 'del', outer], { stdio: 'ignore' });
      spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    },
  };
}

/** `concur args` inside a namespace (or here, without one); the broker URL in the environment. */
function concurIn(ns: Netns | undefined, args: string[], broker: string, options: { input?: string } = {}) {
  const command = ns
    ? ['ip', ['netns', 'exec', ns.name, 'node', concurBin, ...args]]
    : ['node', [concurBin, ...args]];
  return execa(command[0] as string, command[1] as string[], {
    reject: false,
    timeout: 280_000,
    input: options.input,
    env: cleanEnv({ CONCUR_BROKER: broker }),
    extendEnv: true,
  });
}

interface Host {
  run: ResultPromise;
}

async function startHost(
  ns: Netns | undefined,
  broker: string,
  queue: string,
  name: string,
  extra: string[] = [],
) {
  const run = concurIn(ns, ['worker', '--queue', queue, '--name', name, '-j', '1', ...extra], broker);
  await waitForLine(run.stderr!, /ready, pulling from queue/, 60_000);
  return { run } as Host;
}

async function stopHost({ run }: Host): Promise<void> {
  if (run.pid && isAlive(run.pid)) run.kill('SIGTERM');
  await run;
}

const records = (stdout: unknown): Record<string, unknown>[] =>
  String(stdout)
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe.skipIf(!available)(`distributed fan-out: every wait has a bound${why}`, () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it("stops with 'the broker lost this run's jobs' when Redis is SIGKILLed and restarted empty; hosts carry on", async () => {
    const first = await startLocalRedis({ guard: true });
    let server: LocalRedis = first;
    cleanup.push(() => server.stop());
    const queue = 'q';
    const host = await startHost(undefined, first.url, queue, 'A', ['--worker', fixture('slow-upper.js')]);
    cleanup.push(() => stopHost(host));
    const run = concur(['fan-out', '--broker', first.url, '--queue', queue], {
      input: text(lines(5000)),
      timeout: 120_000,
    });
    await waitForLine(run.stdout!, /ITEM 10\n/, 60_000);
    first.process.kill('SIGKILL');
    await new Promise((resolve) => first.process.once('exit', resolve));
    const killedAt = Date.now();
    server = await startLocalRedis({ guard: true, port: first.port });
    const result = await run;
    console.log(`redis restarted: coordinator exited ${Date.now() - killedAt} ms after the kill`);
    expect(result.exitCode).toBe(1);
    const stderr = String(result.stderr).trim().split('\n');
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(/the broker lost this run's jobs \(was it restarted\?\)/);
    // The host reconnected and still serves the queue.
    const again = await concur(['fan-out', '--broker', server.url, '--queue', queue], {
      input: text(lines(20)),
      timeout: 60_000,
    });
    expect(again.exitCode).toBe(0);
    expect(String(again.stdout)).toBe(upper(lines(20)));
    host.run.kill('SIGTERM');
    expect((await host.run).exitCode).toBe(143);
  }, 240_000);

  describe.skipIf(netnsWhy !== '')(`behind a veth link${netnsWhy}`, () => {
    async function setUp(): Promise<{ ns: Netns; server: LocalRedis; inside: string; outside: string }> {
      const ns = makeNetns();
      cleanup.push(() => ns.remove());
      const server = await startLocalRedis({ guard: true, bind: [ns.outside] });
      cleanup.push(() => server.stop());
      return { ns, server, inside: `redis://${ns.outside}:${server.port}`, outside: server.url };
    }

    it('a host cut for 2 s (under its lock time) carries on, and the run finishes', async () => {
      const { ns, inside, outside } = await setUp();
      const host = await startHost(ns, inside, 'q', 'A', ['--worker', fixture('slow-upper.js')]);
      cleanup.push(() => stopHost(host));
      const items = lines(3000);
      const run = concurIn(undefined, ['fan-out', '--queue', 'q'], outside, { input: text(items) });
      await waitForLine(run.stdout!, /ITEM 10\n/, 60_000);
      ns.cut();
      await new Promise((resolve) => setTimeout(resolve, 2000)); // the cut itself lasts 2 s
      ns.heal();
      const result = await run;
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(String(result.stdout)).toBe(upper(items));
      expect(isAlive(host.run.pid!)).toBe(true);
    }, 240_000);

    for (const heal of [true, false])
      it(`a host cut ${heal ? 'for 30 s, then healed' : 'for good'} exits 1 with the silence it measured; another host finishes its batches`, async () => {
        const { ns, inside, outside } = await setUp();
        const a = await startHost(ns, inside, 'q', 'A', ['--worker', fixture('slow-upper.js')]);
        const b = await startHost(undefined, outside, 'q', 'B', ['--worker', fixture('slow-upper.js')]);
        cleanup.push(
          () => stopHost(a),
          () => stopHost(b),
        );
        const items = lines(4000);
        const run = concurIn(undefined, ['fan-out', '--queue', 'q', '--json'], outside, {
          input: text(items),
        });
        await waitForLine(run.stdout!, /"host":"A"/, 60_000);
        ns.cut();
        const cutAt = Date.now();
        const hostResult = await a.run;
        console.log(
          `host cut (${heal ? '30 s' : 'for good'}): exited ${Date.now() - cutAt} ms after the cut`,
        );
        expect(hostResult.exitCode).toBe(1);
        expect(String(hostResult.stderr)).toMatch(
          /lost the broker at redis:\/\/10\.231\.\d+\.1:\d+: no answer for \d+\.\d s/,
        );
        if (heal) {
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - cutAt))));
          ns.heal();
        }
        const result = await run;
        expect(result.exitCode).toBe(0);
        const out = records(result.stdout);
        expect(out.map((record) => record.index)).toEqual(items.map((_, i) => i));
        expect(out.map((record) => record.output)).toEqual(items.map((item) => item.toUpperCase()));
      }, 240_000);

    it('a coordinator cut for 2 s carries on, and the run finishes', async () => {
      const { ns, inside, outside } = await setUp();
      const host = await startHost(undefined, outside, 'q', 'A', ['--worker', fixture('slow-upper.js')]);
      cleanup.push(() => stopHost(host));
      const items = lines(3000);
      const run = concurIn(ns, ['fan-out', '--queue', 'q'], inside, { input: text(items) });
      await waitForLine(run.stdout!, /ITEM 10\n/, 60_000);
      ns.cut();
      await new Promise((resolve) => setTimeout(resolve, 2000)); // the cut itself lasts 2 s
      ns.heal();
      const result = await run;
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(String(result.stdout)).toBe(upper(items));
    }, 240_000);

    for (const heal of [true, false])
      it(`a coordinator cut ${heal ? 'for 30 s, then healed' : 'for good'} exits 1 with the silence it measured`, async () => {
        const { ns, inside, outside } = await setUp();
        const host = await startHost(undefined, outside, 'q', 'A', ['--worker', fixture('slow-upper.js')]);
        cleanup.push(() => stopHost(host));
        const items = lines(5000);
        const run = concurIn(ns, ['fan-out', '--queue', 'q'], inside, { input: text(items) });
        await waitForLine(run.stdout!, /ITEM 10\n/, 60_000);
        ns.cut();
        const cutAt = Date.now();
        if (heal) setTimeout(() => ns.heal(), 30_000).unref();
        const result = await run;
        console.log(
          `coordinator cut (${heal ? '30 s' : 'for good'}): exited ${Date.now() - cutAt} ms after the cut`,
        );
        expect(result.exitCode).toBe(1);
        const stderr = String(result.stderr).trim().split('\n');
        expect(stderr.at(-1)).toMatch(
          /lost the broker at redis:\/\/10\.231\.\d+\.1:\d+: no answer for \d+\.\d s; stopping\./,
        );
        // What was written is a prefix of the answer, each line once.
        const out = String(result.stdout).split('\n');
        expect(out).toEqual(upper(items).split('\n').slice(0, out.length));
        // The host outside is untouched.
        expect(isAlive(host.run.pid!)).toBe(true);
      }, 240_000);
  });
});
