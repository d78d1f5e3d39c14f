/**
 * The coordinator against a real Redis, in-process: what it keeps alive while a run lasts, and a run stopped
 * before it has even connected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startLocalRedis, type LocalRedis } from '../../../dist/patterns/distributed/local-redis.js';
import { distributedStreamLines } from '../../../src/patterns/distributed/index.js';
import { Outstanding } from '../../../src/patterns/distributed/collector.js';
import { probe } from '../../../src/patterns/distributed/probe.js';
import { batchKey, RUN_TTL_MS, runKeys } from '../../../src/patterns/distributed/store.js';
import { available, why } from './hosts.js';

describe.skipIf(!available)(`the coordinator and Redis${why}`, () => {
  let redis: LocalRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await startLocalRedis({ guard: true });
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  }, 60_000);

  it("each probe keeps every outstanding batch's lines alive as long as its run (no host for minutes loses none)", async () => {
    const keys = runKeys('q', 'rttl');
    const key = batchKey(keys, 0);
    await client.set(keys.run, '{}', 'PX', RUN_TTL_MS);
    // A batch queued long ago: its lines' expiry has almost run out.
    await client.set(key, 'a\n', 'PX', 2000);
    const job = new Outstanding(0, { first: 0, count: 1, bytes: Buffer.from('a\n') }, key, undefined);
    job.added = true;
    const { replies } = probe(client, 'q', keys, new Map([['rttl-0', job]]));
    expect(await replies).not.toBeNull();
    expect(await client.pttl(key)).toBeGreaterThan(RUN_TTL_MS - 60_000);
  });

  it('a run stopped before it connects ends at once, leaving nothing in Redis', async () => {
    const abort = new AbortController();
    abort.abort();
    const before = await client.keys('concur:stopped:*');
    const input = (async function* () {
      yield Buffer.from('a\nb\n');
    })();
    const run = distributedStreamLines(input, {
      broker: redis.url,
      queue: 'stopped',
      signal: abort.signal,
    });
    await expect(run.next()).rejects.toThrow(/^stopped\.$/);
    expect(before).toEqual([]);
    // No job, no run key, no batch: BullMQ's own bookkeeping of the queue at most.
    expect(
      (await client.keys('concur:stopped:*')).filter((k) => !/:(meta|id|events|stalled-check)$/.test(k)),
    ).toEqual([]);
    expect(await client.llen('concur:stopped:wait')).toBe(0);
  }, 30_000);
});
