/**
 * A worker host of distributed fan-out (`concur worker`): a local fan-out pool fed from a BullMQ queue on Redis.
 *
 * The host pulls batches from the queue, runs each through its own WorkerPool (the same pool and module
 * contract as `concur fan-out --worker`), and appends the results to the run's list (store.ts), where they wait
 * for the coordinator. It never talks to the coordinator or to other hosts: they meet only in Redis
 * (protocol.ts). A short, renewed lock means a host that dies mid-batch costs a few seconds: the lock expires
 * and another host takes the batch. The batch runs in the pool's processes, so this process's event loop stays
 * free to renew locks however long the batch takes.
 *
 * Use it on every machine whose cores should join a run. Armstrong's black boxes, with the machine boundary gone.
 * Try: concur demo distributed
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Job, JobJson, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  brokerLost,
  checkQueueName,
  connectBroker,
  defaultTimeouts,
  delay,
  loadBullmq,
  parseBrokerUrl,
  type BrokerTimeouts,
} from './redis.js';
import { epochNow } from '../../trace/clock.js';
import { DEFAULT_QUEUE, KEY_PREFIX, type BatchFailure, type ModuleId } from './protocol.js';
import { encodeBatch, encodeRecord } from './encoding.js';
import { checkBatch, inputsOf, keyProblem, MAX_JOB_CHARS, withLines, type CheckedBatch } from './job-data.js';
import { appendResult, runKeys, takeBatch } from './store.js';
import { SilenceWatch } from './watch.js';
import { WorkerPool } from '../fan-out/pool.js';
import { CommandRunner, type BatchRunner } from './command-host.js';
import type { ResultBatch } from '../fan-out/results.js';
import { encodeJobs, type JobOutcome } from './command-results.js';
import { resolveModule } from '../../modules/contract.js';

/** How long a host may hold a batch without renewing its lock before other hosts take it back (ms). */
export const DEFAULT_LOCK_MS = 4000;

/** Options for a worker host. */
export interface WorkerHostOptions {
  /** The broker's URL (see `DistributedMapOptions.broker`). */
  broker: string;
  /** The queue to pull from (default `concur`). */
  queue?: string;
  /** The worker module: a built-in name or a path (the fan-out contract). The only code this host runs. */
  worker?: string;
  /** Instead of a module: run this command per item (command-host.ts). Its stdout goes back byte for byte. */
  command?: { words: readonly string[]; shell?: boolean; onStderr?: (data: Buffer) => void };
  /** Worker processes in this host's pool (default: one per core). */
  jobs?: number;
  /** How many times an item is retried when a pool process dies under it (default 1; a failed command: 0). */
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
  | { type: 'ready'; name: string; queue: string; broker: string; processes: number; module: ModuleId }
  | { type: 'batch'; run: string; count: number; failed: number; elapsedMs: number }
  /** A job refused at once: its data was not a batch, or too large. It is failed and removed, never retried. */
  | { type: 'refused'; jobId: string; reason: string }
  /** Batches handed back to the queue on the way out, for other hosts to run. */
  | { type: 'handed-back'; jobs: number }
  /** The broker has not answered for a while (said once per silence, before the host gives up on it). */
  | { type: 'silent'; ms: number }
  /** Batches waited while this host, with room, took none: its blocking connection was dead and is renewed. */
  | { type: 'reconnected'; waitedMs: number };

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

/** Which code a module spec names: its name as given and the sha256 of its file (what results carry). */
export function moduleIdentity(spec: string): ModuleId {
  const { url } = resolveModule(spec);
  const sha256 = createHash('sha256')
    .update(readFileSync(fileURLToPath(url)))
    .digest('hex');
  return { name: spec, sha256 };
}

// What a batch came back as: the module pool's parts, or a command host's jobs.
type Ran = { parts: ResultBatch[] } | { jobs: JobOutcome[] };

// Job data that is not JSON makes BullMQ's own parse throw before any processor runs, leaving the job active
// and unlocked: it stalls and comes back forever. Marked instead, so the processor can fail it at once.
const UNPARSABLE = '{"unparsable":true}';

/**
 * Start a worker host: a local fan-out pool of `jobs` processes fed from the broker's queue. Bad options or a
 * bad module are a UsageError (exit 2); an unreachable broker a ConcurError (exit 1), both before any batch.
 */
export async function serveQueue(options: WorkerHostOptions): Promise<WorkerHost> {
  const address = parseBrokerUrl(options.broker);
  const queueName = checkQueueName(options.queue ?? DEFAULT_QUEUE);
  const timeouts = options.timeouts ?? defaultTimeouts;
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const moduleSpec = options.worker ?? 'identity';
  const pool: BatchRunner = options.command
    ? new CommandRunner({
        command: options.command.words,
        shell: options.command.shell,
        onStderr: options.command.onStderr,
        jobs: options.jobs,
        retries: options.retries,
        timeoutMs: options.timeoutMs,
        host: name,
      })
    : await WorkerPool.start({
        worker: moduleSpec,
        jobs: options.jobs,
        retries: options.retries ?? 1,
        timeoutMs: options.timeoutMs,
        maxRestarts: options.maxRestarts,
        loadTimeoutMs: options.loadTimeoutMs,
      });
  const module = pool instanceof CommandRunner ? pool.identity : moduleIdentity(moduleSpec);
  let client: Redis;
  try {
    client = await connectBroker(address, `concur-worker-${name}`, timeouts);
  } catch (error) {
    await pool.close();
    throw error;
  }
  const { Worker, WaitingError, UnrecoverableError } = loadBullmq();
  const counts = { batches: 0, items: 0, failed: 0 };
  let failure: Error | undefined;
  let stopping: Promise<void> | undefined;
  let lost = false;
  let settle: (error?: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve());
  });
  done.catch(() => {});
  // What an item costs in the pool's processes, from their own busy times (decaying, weighted by items). A
  // batch's time here also holds the trips to Redis and to the pool, nearly all of it for tiny items: sized
  // from that, their batches would grow slowly, one window of batches at a time.
  const cost = { busyMs: 0, items: 0 };
  if (pool instanceof WorkerPool)
    pool.on('event', (event) => {
      if (event.type !== 'batch') return;
      cost.busyMs = 0.7 * cost.busyMs + event.busyMs;
      cost.items = 0.7 * cost.items + event.items;
    });
  let handedBack = 0;
  let active = 0;
  let lastTaken = Date.now();

  // A refused job: tell its run (if it names a live one) why its items fail, then fail the job for good.
  const refuse = async (job: Job, reason: string): Promise<never> => {
    const run = (job.data as { run?: unknown } | null)?.run;
    if (typeof run === 'string' && typeof job.id === 'string') {
      const record: BatchFailure = { type: 'failed', job: job.id, host: name, reason };
      await appendResult(client, runKeys(queueName, run), encodeRecord(record)).catch(() => false);
    }
    options.onEvent?.({ type: 'refused', jobId: String(job.id), reason });
    throw new UnrecoverableError(reason);
  };

  // One batch: run it through the pool and append the results to its run's list, unless this host is
  // stopping, in which case it goes back to the queue. The job's own value is only the count: BullMQ copies it
  // into its event stream, which must hold no payload.
  const processor = async (job: Job, token?: string, signal?: AbortSignal): Promise<number> => {
    lastTaken = Date.now();
    if ((job.data as { unparsable?: boolean } | null)?.unparsable === true)
      return refuse(job, 'malformed batch: the job data is not JSON');
    let batch = checkBatch(job.data);
    if (typeof batch === 'string') return refuse(job, batch);
    // A `batch-key` job's lines wait under their key: read as bytes, checked like the job data.
    if (batch.key !== undefined) {
      const problem = keyProblem(batch, runKeys(queueName, batch.run).run);
      if (problem) return refuse(job, problem);
      batch = withLines(batch, await takeBatch(client, batch.key, MAX_JOB_CHARS));
      if (typeof batch === 'string') return refuse(job, batch);
    }
    const started = performance.now();
    const startedAt = epochNow();
    active++;
    const aborted = new Promise<'aborted'>((resolve) => {
      if (signal?.aborted) resolve('aborted');
      signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    let results: Ran | 'aborted';
    try {
      results = await Promise.race([runBatch(batch), aborted]);
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
    const busyMs = cost.items > 0 ? (batch.count * cost.busyMs) / cost.items : elapsedMs;
    const encoded =
      'jobs' in results
        ? encodeJobs(String(job.id), name, module, results.jobs, elapsedMs)
        : encodeBatch(String(job.id), name, module, results.parts, elapsedMs);
    const result = {
      ...encoded,
      busyMs,
      pid: process.pid,
      startedAt,
      endedAt: epochNow(),
    };
    // Written only while the run is alive: a batch finished after its run ended leaves nothing behind.
    await appendResult(client, runKeys(queueName, batch.run), encodeRecord(result));
    const { count } = batch;
    const failed = result.type === 'results-text' ? 0 : result.failures.length;
    counts.batches++;
    counts.items += count;
    counts.failed += failed;
    options.onEvent?.({ type: 'batch', run: batch.run, count, failed, elapsedMs });
    return count;
  };

  // A batch through the pool, answered in the parts the pool cut it into. Joined lines go in as their bytes
  // (as local fan-out reads stdin) and, when every item succeeds, come back as bytes: nothing is made per item.
  const runBatch = async (batch: CheckedBatch): Promise<Ran> => {
    // A command host runs item by item: each job's stdout travels as its bytes (command-results.ts).
    if (pool instanceof CommandRunner) {
      const items = inputsOf(batch).map((input, k) => ({ index: batch.first + k, input }));
      return { jobs: await pool.run(items) };
    }
    if (!(pool instanceof WorkerPool)) throw new TypeError('a host runs a module pool or a command');
    const parts: ResultBatch[] = [];
    for await (const part of pool.stream([batch.bytes ?? inputsOf(batch)])) parts.push(part);
    return { parts };
  };

  // BullMQ parses job data before the processor sees it; data that is not JSON is marked, not thrown.
  class HostWorker extends Worker {
    protected override createJob(data: JobJson, jobId: string): Job {
      try {
        return super.createJob(data, jobId);
      } catch {
        return super.createJob({ ...data, data: UNPARSABLE }, jobId);
      }
    }
  }

  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  // Two batches per process: one running, one arriving, so the pool never waits on the network.
  const concurrency = Math.max(2, pool.jobs * 2);
  const worker: Worker = new HostWorker(queueName, processor, {
    connection: client,
    prefix: KEY_PREFIX,
    name,
    concurrency,
    // A short lock, renewed while this host lives: if it dies, its batches are free again within about 1.5
    // locks (expiry, then the next stalled check by any host), not BullMQ's default 30 s. Renewed every quarter
    // lock (BullMQ's default is every half, checked every quarter, so a lock could be renewed as late as half
    // its time): on a busy machine a host that is slow to be scheduled still renews well before expiry.
    lockDuration: lockMs,
    lockRenewTime: Math.max(100, Math.floor(lockMs / 4)),
    stalledInterval: Math.max(500, Math.floor(lockMs / 2)),
    // A batch may outlive a few dead hosts before it is failed (the default 1 would fail it after one).
    maxStalledCount: 3,
    // Seconds an idle host blocks waiting for a job: short, so Ctrl-C on an idle host ends quickly.
    drainDelay: 1,
    // Jobs pushed by hand carry no removal options: a refused or finished job leaves no keys either way.
    removeOnComplete: { count: 0 },
    removeOnFail: { count: 0 },
  });
  worker.on('error', () => {});

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      watch.stop();
      // Without a broker nothing can be handed back: close at once. Otherwise give the hand-back a few seconds;
      // a close that still hangs (a broker gone mid-close) must not keep the host alive.
      const closing = worker.close(lost).catch(() => {});
      worker.cancelAllJobs('host stopping');
      await Promise.race([closing, delay(lost ? 500 : timeouts.connectMs + 2000)]);
      if (handedBack > 0) options.onEvent?.({ type: 'handed-back', jobs: handedBack });
      await pool.close();
      client.disconnect();
      settle(failure);
    })();
    return stopping;
  };

  // BullMQ waits for jobs on a blocking connection of its own. After a partition that socket can be dead while
  // ours works (the server dropped it; nothing tells the client): batches then wait while this host, with room
  // to take them, takes none. Renew that connection when that lasts `silentMs` (both clocks run together: a host
  // idle for a while before the batches came renews `silentMs` after they came, not twice that).
  let waitingSince = 0;
  const checkBlocking = (waiting: number): void => {
    const now = Date.now();
    if (waiting === 0 || active >= concurrency) {
      waitingSince = 0;
      return;
    }
    waitingSince ||= now;
    if (now - waitingSince < timeouts.silentMs || now - lastTaken < timeouts.silentMs) return;
    waitingSince = 0;
    lastTaken = now;
    const backend = (worker as unknown as { backend?: { blockingClient?: Promise<Redis> } }).backend;
    void backend?.blockingClient?.then((blocking) => {
      options.onEvent?.({ type: 'reconnected', waitedMs: timeouts.silentMs });
      blocking.disconnect(true);
    });
  };

  // Once a second: does the broker answer? Silent for `silentMs` (a cut link, a dead or frozen server): stop.
  const watch = new SilenceWatch(timeouts.silentMs);
  watch.heard('broker');
  let probing = 0;
  let warned = false;
  watch.start(() => {
    const silent = watch.silent();
    if (silent) {
      lost = true;
      failure ??= brokerLost(address, silent.ms);
      void stop();
      return;
    }
    if (probing) {
      const ms = Date.now() - probing;
      if (!warned && ms >= 3000) options.onEvent?.({ type: 'silent', ms });
      warned ||= ms >= 3000;
      return;
    }
    probing = Date.now();
    client.llen(`${KEY_PREFIX}:${queueName}:wait`).then(
      (waiting) => {
        probing = 0;
        warned = false;
        watch.heard('broker');
        checkBlocking(waiting);
      },
      () => {
        probing = 0;
      },
    );
  });

  await worker.waitUntilReady();
  options.onEvent?.({
    type: 'ready',
    name,
    queue: queueName,
    broker: address.display,
    processes: pool.jobs,
    module,
  });
  return { name, counts, done, stop };
}
