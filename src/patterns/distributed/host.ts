/**
 * A worker host of distributed fan-out (`concur worker`): a local fan-out pool fed from a BullMQ queue on Redis.
 *
 * The host pulls batches from the queue, runs each through its own WorkerPool (the same pool and module
 * contract as `concur fan-out --worker`), and returns the results as the job's value. It never talks to the
 * coordinator or to other hosts: they meet only in the queue (protocol.ts). A short, renewed lock means a host
 * that dies mid-batch costs a few seconds: the lock expires and another host takes the batch.
 *
 * Use it on every machine whose cores should join a run. Armstrong's black boxes, with the machine boundary gone.
 * Try: concur demo distributed
 */
import { hostname } from 'node:os';
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  brokerLost,
  checkQueueName,
  connectBroker,
  defaultTimeouts,
  delay,
  parseBrokerUrl,
  type BrokerTimeouts,
} from './redis.js';
import { epochNow } from '../../trace/clock.js';
import { DEFAULT_QUEUE, KEY_PREFIX, type FromHost } from './protocol.js';
import { checkBatch, encodeResults } from './encoding.js';
import { WorkerPool } from '../fan-out/pool.js';
import type { ItemResult } from '../fan-out/results.js';

/** How long a host may hold a batch without renewing its lock before other hosts take it back (ms). */
export const DEFAULT_LOCK_MS = 4000;

/** Options for a worker host. */
export interface WorkerHostOptions {
  /** The broker's URL (see `DistributedMapOptions.broker`). */
  broker: string;
  /** The queue to pull from (default `concur`). */
  queue?: string;
  /** The worker module: a built-in name or a path (the fan-out contract). The only code this host runs. */
  worker: string;
  /** Worker processes in this host's pool (default: one per core). */
  jobs?: number;
  /** How many times an item is retried when a pool process dies under it (default 1). */
  retries?: number;
  /** The most one item may run, in ms (default: no limit): see `PoolOptions.timeoutMs`. */
  timeoutMs?: number;
  /** The pool's restart intensity: at most this many restarts within 5 s (default 10). */
  maxRestarts?: number;
  /** This host's name in results and narration (default `<hostname>-<pid>`). */
  name?: string;
  /** A pool process still loading the module after this long is a UsageError (default 10 s). */
  loadTimeoutMs?: number;
  /** How long a batch's lock lasts without renewal before other hosts may take the batch (ms). */
  lockMs?: number;
  /** Called with what the host does (for progress on stderr). */
  onEvent?: (event: HostEvent) => void;
  timeouts?: BrokerTimeouts;
}

/** What a worker host tells its caller. */
export type HostEvent =
  | { type: 'ready'; name: string; queue: string; broker: string; processes: number }
  | { type: 'batch'; run: string; count: number; failed: number; elapsedMs: number }
  /** Batches handed back to the queue on the way out, for other hosts to run. */
  | { type: 'handed-back'; jobs: number };

/** A running worker host. */
export interface WorkerHost {
  readonly name: string;
  /** Batches and items run so far. */
  readonly counts: { batches: number; items: number; failed: number };
  /** Settles when the host stops: rejects if the broker was lost or the pool broke. */
  readonly done: Promise<void>;
  /** Stop taking batches, hand back the ones in hand, end the pool. */
  stop(): Promise<void>;
}

/**
 * Start a worker host: a local fan-out pool of `jobs` processes fed from the broker's queue. Bad options or a
 * bad module are a UsageError (exit 2); an unreachable broker a ConcurError (exit 1), both before any batch.
 */
export async function serveQueue(options: WorkerHostOptions): Promise<WorkerHost> {
  const address = parseBrokerUrl(options.broker);
  const queueName = checkQueueName(options.queue ?? DEFAULT_QUEUE);
  const timeouts = options.timeouts ?? defaultTimeouts;
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const bullmq = import('bullmq');
  const pool = await WorkerPool.start({
    worker: options.worker,
    jobs: options.jobs,
    retries: options.retries ?? 1,
    timeoutMs: options.timeoutMs,
    maxRestarts: options.maxRestarts,
    loadTimeoutMs: options.loadTimeoutMs,
  });
  let client: Redis;
  try {
    client = await connectBroker(address, `concur-worker-${name}`, timeouts);
  } catch (error) {
    await pool.close();
    throw error;
  }
  const { Worker, WaitingError, UnrecoverableError } = await bullmq;
  const counts = { batches: 0, items: 0, failed: 0 };
  let failure: Error | undefined;
  let stopping: Promise<void> | undefined;
  let settle: (error?: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  done.catch(() => {});
  let handedBack = 0;
  let active = 0;

  // One batch: run it through the pool, unless this host is stopping, in which case it goes back to the queue.
  const processor = async (job: Job, token?: string, signal?: AbortSignal): Promise<FromHost> => {
    const batch = checkBatch(job.data);
    if (typeof batch === 'string') throw new UnrecoverableError(batch);
    const started = performance.now();
    const startedAt = epochNow();
    active++;
    const aborted = new Promise<'aborted'>((resolve) => {
      if (signal?.aborted) resolve('aborted');
      signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    let results: ItemResult[] | 'aborted';
    try {
      results = await Promise.race([
        pool.run(batch.inputs.map((input, k) => ({ index: batch.first + k, input }))),
        aborted,
      ]);
    } catch (error) {
      // The pool itself broke (a module that keeps crashing its processes): stop this host, give the batch back.
      failure ??= error instanceof Error ? error : new Error(String(error));
      void stop();
      results = 'aborted';
    }
    const sharing = active--;
    if (results === 'aborted') {
      await job.moveToWait(token);
      handedBack++;
      throw new WaitingError();
    }
    // The pool ran `sharing` batches side by side: this batch's own cost is its share of the time.
    const elapsedMs = (performance.now() - started) / Math.max(1, sharing);
    const result = {
      ...encodeResults(name, results, elapsedMs),
      pid: process.pid,
      startedAt,
      endedAt: epochNow(),
    };
    counts.batches++;
    counts.items += results.length;
    counts.failed += result.failures.length;
    options.onEvent?.({
      type: 'batch',
      run: batch.run,
      count: results.length,
      failed: result.failures.length,
      elapsedMs,
    });
    return result;
  };

  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  const worker: Worker = new Worker(queueName, processor, {
    connection: client,
    prefix: KEY_PREFIX,
    name,
    // Two batches per process: one running, one arriving, so the pool never waits on the network.
    concurrency: Math.max(2, pool.jobs * 2),
    // A short lock, renewed every half lock while this host lives: if it dies, its batches are free again
    // within about 1.5 locks (expiry, then the next stalled check by any host), not BullMQ's default 30 s.
    lockDuration: lockMs,
    stalledInterval: Math.max(500, Math.floor(lockMs / 2)),
    // A batch may outlive a few dead hosts before it is failed (the default 1 would fail it after one).
    maxStalledCount: 3,
    // Seconds an idle host blocks waiting for a job: short, so Ctrl-C on an idle host ends quickly.
    drainDelay: 1,
  });
  worker.on('error', () => {});

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // Without a broker nothing can be handed back: close at once. Otherwise give the hand-back a few seconds;
      // a close that still hangs (a broker gone mid-close) must not keep the host alive.
      const lost = client.status === 'end';
      const closing = worker.close(lost).catch(() => {});
      worker.cancelAllJobs('host stopping');
      await Promise.race([closing, delay(lost ? 500 : timeouts.connectMs + timeouts.reconnectForMs)]);
      if (handedBack > 0) options.onEvent?.({ type: 'handed-back', jobs: handedBack });
      await pool.close();
      client.disconnect();
      settle(failure);
    })();
    return stopping;
  };
  client.once('end', () => {
    failure ??= brokerLost(address, timeouts);
    void stop();
  });

  await worker.waitUntilReady();
  options.onEvent?.({
    type: 'ready',
    name,
    queue: queueName,
    broker: address.display,
    processes: pool.jobs,
  });
  return { name, counts, done, stop };
}
