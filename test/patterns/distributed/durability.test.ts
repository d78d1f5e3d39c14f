/**
 * Distributed fan-out: results are durable until the coordinator has them, and nowhere after. Each test starts
 * its own redis-server (Debian's, on a free loopback port) so memory and streams are its own to measure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startLocalRedis, type LocalRedis } from '../../../dist/patterns/distributed/local-redis.js';
import { concur, isAlive, until, waitForLine } from '../../helpers.js';
import { available, why, startHost, stopHost } from './hosts.js';

const lines = (n: number, prefix = 'item'): string[] => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);
const text = (items: string[]): string => (items.length ? `${items.join('\n')}\n` : '');

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

describe.skipIf(!available)(`distributed fan-out: durable results${why}`, () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  async function redis(): Promise<{ server: LocalRedis; client: Redis }> {
    const server = await startLocalRedis({ guard: true });
    const client = new Redis(server.url);
    cleanup.push(() => server.stop());
    cleanup.push(() => client.disconnect());
    return { server, client };
  }

  it('leaves no payload in Redis after a run: no keys of its own, memory back, events without data', async () => {
    const { server, client } = await redis();
    const queue = 'q';
    const host = await startHost(server.url, queue, 'A', [], 280_000);
    cleanup.push(() => stopHost(host));
    const before = await usedMemory(client);
    // About 10 MB of input, each line marked so that any copy left in Redis can be found.
    const items = Array.from({ length: 20_000 }, (_, i) => `PAYLOAD${i} ${'x'.repeat(500)}`);
    const run = await concur(['fan-out', '--broker', server.url, '--queue', queue], {
      input: text(items),
      timeout: 170_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(String(run.stderr)).toBe('');
    expect(run.exitCode).toBe(0);
    expect(String(run.stdout)).toBe(items.join('\n'));
    // Keys of the run (job ids and the run's own keys all start with its id, "r…").
    expect(await client.keys(`concur:${queue}:r*`)).toEqual([]);
    const events = await client.xrange(`concur:${queue}:events`, '-', '+');
    expect(events.length).toBeGreaterThan(0);
    expect(JSON.stringify(events)).not.toContain('PAYLOAD');
    // 10 MB went through; what stays is BullMQ's small bookkeeping (events of a few hundred jobs). A connection
    // that just sent a batch of a megabyte (the host's, still open) keeps its input buffer until Redis's own cron
    // shrinks it, a second or two later: memory is waited for, not read at once.
    const left = await usedMemory(client);
    await until(
      async () => (await usedMemory(client)) - before < 1_000_000,
      30_000,
      'the memory to come back',
    );
    console.log(
      `memory after the run: ${left - before} bytes over, then ${(await usedMemory(client)) - before}`,
    );
  }, 240_000);

  it('a coordinator paused (SIGSTOP) while another run trims the event stream gets every result when resumed', async () => {
    const { server, client } = await redis();
    const queue = 'q';
    const host = await startHost(server.url, queue, 'A', ['--worker', 'upper'], 280_000);
    cleanup.push(() => stopHost(host));
    const items = lines(20_000, 'p');
    const paused = concur(['fan-out', '--broker', server.url, '--queue', queue], {
      input: text(items),
      timeout: 280_000,
    });
    cleanup.push(() => {
      if (paused.pid && isAlive(paused.pid)) {
        paused.kill('SIGCONT');
        paused.kill('SIGKILL');
      }
    });
    await waitForLine(paused.stdout!, /P 100\n/, 60_000);
    paused.kill('SIGSTOP');
    // While it sleeps, the host finishes the batches it had sent: they wait in the run's list.
    const list = async (): Promise<string | undefined> =>
      (await client.keys(`concur:${queue}:run:*:results`))[0];
    await until(
      async () =>
        (await client.llen(`concur:${queue}:wait`)) === 0 &&
        (await client.llen(`concur:${queue}:active`)) === 0 &&
        (await list()) !== undefined,
      120_000,
      "the paused run's batches to finish",
    );
    const waiting = await client.llen((await list())!);
    expect(waiting).toBeGreaterThan(0);
    const firstBefore = (await client.xrange(`concur:${queue}:events`, '-', '+', 'COUNT', 1))[0]?.[0];
    // Another run on the same queue, then enough events that BullMQ's trim (about 10,000) drops every event
    // the paused run's jobs wrote.
    const other = await concur(['fan-out', '--broker', server.url, '--queue', queue], {
      input: text(lines(30_000, 'o')),
      timeout: 120_000,
    });
    expect(other.exitCode).toBe(0);
    for (let k = 0; k < 12; k++) {
      const pipeline = client.pipeline();
      for (let i = 0; i < 1000; i++)
        pipeline.xadd(`concur:${queue}:events`, 'MAXLEN', '~', 10_000, '*', 'event', 'filler');
      await pipeline.exec();
    }
    const firstAfter = (await client.xrange(`concur:${queue}:events`, '-', '+', 'COUNT', 1))[0]?.[0];
    expect(firstAfter).not.toBe(firstBefore);
    expect(await client.xlen(`concur:${queue}:events`)).toBeLessThan(10_200);
    paused.kill('SIGCONT');
    const result = await paused;
    expect(String(result.stderr)).toBe('');
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toBe(items.map((item) => item.toUpperCase()).join('\n'));
    expect(await client.keys(`concur:${queue}:r*`)).toEqual([]);
  }, 300_000);
});
