/**
 * Distributed fan-out when ONE connection dies silently while the others work, as when a NAT or a firewall
 * forgets one socket: a proxy in front of Redis (proxy.ts) freezes a chosen connection, picked by the commands
 * it sent, and forwards the rest. A host whose blocking connection is frozen gets a new one and takes the run's
 * batches: from BullMQ's own watchdog on its blocking wait, or, with that watchdog switched off by a preloaded
 * fixture, from concur's renewal (its line on the host's stderr). A coordinator whose result reader is frozen
 * renews it and finishes, every line once, in order. A frozen connection that is a side's only way to the broker
 * ends that side with its lost-broker line. Times are printed with the load average; none is asserted.
 */
import { loadavg } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalRedis } from '../../../dist/patterns/distributed/local-redis.js';
import { concur, fixture, waitForLine } from '../../helpers.js';
import { available, why, startHost, stopHost } from './hosts.js';
import { RedisProxy, type ProxiedConnection } from './proxy.js';

const lines = (n: number, prefix = 'item'): string[] => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);
const text = (items: string[]): string => (items.length ? `${items.join('\n')}\n` : '');
const upper = (items: string[]): string => items.map((item) => item.toUpperCase()).join('\n');
const load = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
const describeConnection = (c: ProxiedConnection): string =>
  `#${c.id} ${c.name ?? '(unnamed)'} ${JSON.stringify(Object.fromEntries(c.commands))}`;

describe.skipIf(!available)(`distributed fan-out: one dead connection at a time${why}`, () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setUp(): Promise<{ direct: string; proxy: RedisProxy }> {
    const server = await startLocalRedis({ guard: true });
    cleanup.push(() => server.stop());
    const proxy = await RedisProxy.start(server.port);
    cleanup.push(() => proxy.close());
    return { direct: server.url, proxy };
  }

  // An idle host (its environment plus `env`) whose blocking connection is frozen, then a run of 2,000 lines.
  async function runPastFrozenBlocking(env?: Record<string, string>) {
    const { proxy } = await setUp();
    const host = await startHost(proxy.url, 'q', 'A', [], 200_000, env);
    cleanup.push(() => stopHost(host));
    const blocking = await proxy.waitFor((c) => c.sent('BZPOPMIN') > 0, 30_000, 'sent BZPOPMIN');
    proxy.freeze(blocking);
    const frozenAt = Date.now();
    const waitsBefore = blocking.sent('BZPOPMIN');
    const items = lines(2000);
    const run = await concur(['fan-out', '--broker', proxy.url, '--queue', 'q'], {
      input: text(items),
      timeout: 120_000,
    });
    return { proxy, host, blocking, frozenAt, waitsBefore, items, run };
  }

  it("a host whose blocking connection is frozen while idle renews it and runs the next run's batches", async () => {
    const { proxy, host, blocking, frozenAt, waitsBefore, items, run } = await runPastFrozenBlocking();
    console.log(
      `host's blocking connection frozen: run ended ${Date.now() - frozenAt} ms after the freeze (load ${load()})`,
    );
    console.log(proxy.connections.map(describeConnection).join('\n'));
    console.log(host.said());
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(String(run.stdout)).toBe(items.join('\n'));
    // The frozen connection was the blocking one, and it never waited again: another one took over.
    expect(blocking.sent('BZPOPMIN')).toBe(waitsBefore);
    const renewed = proxy.connections.filter((c) => c.id > blocking.id && c.sent('BZPOPMIN') > 0);
    expect(renewed.length).toBeGreaterThan(0);
  }, 200_000);

  it("with BullMQ's own watchdog off, a host whose blocking connection is frozen says it renewed it, and runs the batches", async () => {
    const preload = { NODE_OPTIONS: `--import ${fixture('bullmq-no-watchdog.mjs')}` };
    const { proxy, host, blocking, frozenAt, waitsBefore, items, run } = await runPastFrozenBlocking(preload);
    console.log(
      `host's blocking connection frozen, BullMQ's watchdog off: run ended ${Date.now() - frozenAt} ms after the freeze (load ${load()})\n${host.said()}`,
    );
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(String(run.stdout)).toBe(items.join('\n'));
    expect(host.said()).toMatch(
      /concur worker A: batches waited \d+ s while this host took none; renewed its blocking connection to the broker/,
    );
    expect(blocking.sent('BZPOPMIN')).toBe(waitsBefore);
    expect(proxy.connections.some((c) => c.id > blocking.id && c.sent('BZPOPMIN') > 0)).toBe(true);
  }, 200_000);

  // A host running slow-upper, a run of `n` lines through the proxy, and the run's result reader once results
  // flow.
  async function runWithReader(n: number) {
    const { direct, proxy } = await setUp();
    const host = await startHost(direct, 'q', 'A', ['--worker', fixture('slow-upper.js')]);
    cleanup.push(() => stopHost(host));
    const items = lines(n);
    const run = concur(['fan-out', '--broker', proxy.url, '--queue', 'q'], {
      input: text(items),
      timeout: 120_000,
    });
    await waitForLine(run.stdout!, /ITEM 10\n/, 60_000);
    const reader = await proxy.waitFor((c) => c.sent('BLMPOP') > 0, 10_000, 'sent BLMPOP');
    return { proxy, host, items, run, reader };
  }

  it('a coordinator whose result reader is frozen mid-run renews it and finishes, each line once, in order', async () => {
    const { proxy, host, items, run, reader } = await runWithReader(3000);
    const client = await proxy.waitFor((c) => c.sent('PEXPIRE') > 0, 10_000, 'sent PEXPIRE');
    // Frozen just after a pop is passed on: a result it takes is lost on the way, as it would be in a NAT.
    await proxy.freezeAfter(reader, 'BLMPOP', 10_000);
    const frozenAt = Date.now();
    const pops = reader.sent('BLMPOP');
    const probes = client.sent('PEXPIRE');
    const result = await run;
    console.log(
      `coordinator's reader frozen: run ended ${Date.now() - frozenAt} ms after the freeze (load ${load()})`,
    );
    console.log(proxy.connections.map(describeConnection).join('\n'));
    console.log(`coordinator said:\n${String(result.stderr)}\nhost said:\n${host.said()}`);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout)).toBe(upper(items));
    expect(String(result.stderr)).toMatch(
      /^concur: the connection reading results from the broker at redis:\/\/127\.0\.0\.1:\d+ got no answer for \d+\.\d s while the broker answered on another; renewed it\.$/m,
    );
    expect(String(result.stderr)).not.toMatch(/lost the broker/);
    // A batch whose result the frozen pop took is sent again (said once per batch); printed, not asserted: the
    // pop may have found nothing to take.
    const resent =
      String(result.stderr).match(/^concur: batch \S+ left the queue .* sent it again\.$/gm) ?? [];
    console.log(`batches sent again: ${resent.length}`);
    // The frozen connection was the reader, and never popped again; the client went on answering probes, and a
    // new connection took over the pops.
    expect(reader.sent('BLMPOP')).toBe(pops);
    expect(client.id).not.toBe(reader.id);
    expect(client.sent('PEXPIRE')).toBeGreaterThan(probes);
    expect(proxy.connections.some((c) => c.id > reader.id && c.sent('BLMPOP') > 0)).toBe(true);
  }, 200_000);

  it('a coordinator whose reader dies on every new connection too stops with a line that says the broker answers', async () => {
    const { proxy, items, run, reader } = await runWithReader(5000);
    proxy.freezeWhen((c) => c.sent('BLMPOP') > 0);
    await proxy.waitFor((c) => c === reader && c.frozen, 10_000, 'is the reader, frozen');
    const frozenAt = Date.now();
    const result = await run;
    const readers = proxy.connections.filter((c) => c.sent('BLMPOP') > 0);
    console.log(
      `reader frozen on each of ${readers.length} connections: exited ${Date.now() - frozenAt} ms after the first freeze (load ${load()})\n${String(result.stderr)}`,
    );
    expect(result.exitCode).toBe(1);
    const stderr = String(result.stderr).trim().split('\n');
    expect(stderr.filter((line) => line.includes('renewed it.'))).toHaveLength(2);
    expect(stderr.at(-1)).toMatch(
      /^concur: the broker at redis:\/\/127\.0\.0\.1:\d+ answers, but the connection that reads results got no answer for \d+\.\d s, even after 2 new connections; stopping\. /,
    );
    expect(String(result.stderr)).not.toMatch(/lost the broker/);
    expect(readers.length).toBe(3);
    expect(readers.every((c) => c.frozen)).toBe(true);
    const out = String(result.stdout).split('\n');
    expect(out).toEqual(upper(items).split('\n').slice(0, out.length));
  }, 200_000);

  it('a coordinator whose every connection is frozen still stops with the lost-broker line', async () => {
    const { direct, proxy } = await setUp();
    const host = await startHost(direct, 'q', 'A', ['--worker', fixture('slow-upper.js')]);
    cleanup.push(() => stopHost(host));
    const items = lines(5000);
    const run = concur(['fan-out', '--broker', proxy.url, '--queue', 'q'], {
      input: text(items),
      timeout: 120_000,
    });
    await waitForLine(run.stdout!, /ITEM 10\n/, 60_000);
    await proxy.waitFor((c) => c.sent('PEXPIRE') > 0, 10_000, 'sent PEXPIRE (the probe)');
    const open = proxy.connections.filter((c) => !c.closed);
    for (const connection of open) proxy.freeze(connection);
    const frozenAt = Date.now();
    const result = await run;
    console.log(
      `every coordinator connection frozen (${open.map(describeConnection).join('; ')}): exited ${Date.now() - frozenAt} ms after the freeze (load ${load()})`,
    );
    expect(open.some((c) => c.sent('BLMPOP') > 0) && open.some((c) => c.sent('PEXPIRE') > 0)).toBe(true);
    expect(result.exitCode).toBe(1);
    const stderr = String(result.stderr).trim().split('\n');
    expect(stderr.at(-1)).toMatch(
      /^concur: lost the broker at redis:\/\/127\.0\.0\.1:\d+: no answer for \d+\.\d s; stopping\.$/,
    );
    expect(String(result.stderr)).not.toMatch(/renewed/);
    // What was written is a prefix of the answer, each line once.
    const out = String(result.stdout).split('\n');
    expect(out).toEqual(upper(items).split('\n').slice(0, out.length));
  }, 200_000);

  it("a host whose own connection is frozen (BullMQ's blocking one fine) stops with its lost-broker line", async () => {
    const { proxy } = await setUp();
    const host = await startHost(proxy.url, 'q', 'A');
    cleanup.push(() => stopHost(host));
    const own = await proxy.waitFor((c) => c.sent('LLEN') > 0, 30_000, "sent LLEN (the host's probe)");
    await proxy.waitFor((c) => c.sent('BZPOPMIN') > 0, 30_000, 'sent BZPOPMIN');
    proxy.freeze(own);
    const frozenAt = Date.now();
    const result = await host.run;
    console.log(
      `host's own connection frozen (${describeConnection(own)}): exited ${Date.now() - frozenAt} ms after the freeze (load ${load()})`,
    );
    expect(own.sent('BZPOPMIN')).toBe(0);
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr).trim().split('\n').at(-1)).toMatch(
      /lost the broker at redis:\/\/127\.0\.0\.1:\d+: no answer for \d+\.\d s; stopping\./,
    );
  }, 200_000);
});
