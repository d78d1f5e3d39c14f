/**
 * Distributed fan-out: the same fan-out as src/patterns/fan-out/, with the worker processes spread over many
 * hosts. A coordinator cuts the input into batches and puts them in a BullMQ queue on Redis; every worker host
 * pulls batches and runs them in its own local pool of worker processes; the results come back through BullMQ's
 * event stream and leave in input order (or as they finish). The hosts share nothing and never talk to each
 * other or to the coordinator directly: Armstrong's black boxes exchanging messages, with the machine boundary
 * gone. The messages are in src/patterns/distributed/protocol.ts.
 *
 * Use it when one machine's cores are not enough for a job. The engine is a real one (BullMQ), so a host that
 * dies mid-batch costs a few seconds, not the run: its lock expires and another host takes the batch.
 * Try: concur demo distributed
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Job, Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  brokerLost,
  connectBroker,
  defaultTimeouts,
  parseBrokerUrl,
  type BrokerAddress,
  type BrokerTimeouts,
} from './redis.js';
import { epochNow } from '../../trace/clock.js';
import { ConcurError, UsageError } from '../../process/errors.js';
import { recorder } from '../../trace/events.js';
import {
  DEFAULT_QUEUE,
  KEY_PREFIX,
  type BatchJob,
  type FromHost,
  type QueueEvent,
  type ToHost,
} from './protocol.js';
import { BatchSizer, ResultBatch, WorkerPool, type ItemResult } from '../fan-out/pool.js';

/** One item's result, as local fan-out reports it, plus the host that ran it. */
export interface DistributedItemResult extends ItemResult {
  /** The worker host's name (`concur worker --name`, by default `<hostname>-<pid>`). */
  host: string;
}

/** How long a host may hold a batch without renewing its lock before other hosts take it back (ms). */
export const DEFAULT_LOCK_MS = 4000;

/** A queue name becomes part of Redis keys and job ids: letters, digits, `.`, `_` and `-` only. */
export function checkQueueName(name: string): string {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name))
    throw new UsageError(
      `--queue: '${name}' is not a usable queue name; use letters, digits, '.', '_' or '-' (no ':').`,
      'EQUEUE',
    );
  return name;
}

// ---------------------------------------------------------------------------------------------------------------
// The coordinator: `map` over a broker.

/** Options for the distributed `map` and `stream`. */
export interface DistributedMapOptions {
  /** The broker's URL: `redis://[user:pass@]host:6379[/db]`, or `rediss://` for TLS. */
  broker: string;
  /** The queue the worker hosts pull from (default `concur`). */
  queue?: string;
  /** Results in input order (default), or as they finish. */
  ordered?: boolean;
  /** How many more times a batch is tried on another host when a host fails it (default 1). */
  retries?: number;
  /** The most lines in one batch (default 4096) and the most characters (default 1 MiB). */
  maxBatch?: number;
  maxBatchChars?: number;
  /** How long one batch should take on a host; batches are sized from measured times (default 200 ms). */
  targetBatchMs?: number;
  /** The most batches waiting or running at once: bounds memory and the reorder buffer (default 32). */
  window?: number;
  /** Called with what happens on the way (for progress and narration). */
  onEvent?: (event: CoordinatorEvent) => void;
  /** Stop early (Ctrl-C): the run rejects with the signal's reason and takes back the batches not yet started. */
  signal?: AbortSignal;
  timeouts?: BrokerTimeouts;
}

/** What the coordinator tells its caller while it runs. */
export type CoordinatorEvent =
  | { type: 'connected'; broker: string; queue: string; run: string }
  | { type: 'sent'; jobId: string; first: number; count: number }
  | { type: 'done'; jobId: string; host: string; count: number; elapsedMs: number }
  | { type: 'stalled'; jobId: string }
  | { type: 'failed'; jobId: string; reason: string }
  /** No worker host has pulled from the queue for a while, and none is connected: someone should start one. */
  | { type: 'no-hosts'; queue: string; broker: string };

interface Outstanding {
  seq: number;
  first: number;
  inputs: string[];
  /** When it was put in the queue (epoch ms), while recording. */
  sentAt?: number;
}

/**
 * Fan `items` out to the worker hosts on a broker and yield each item's result: in input order by default, or
 * as they finish with `ordered: false`. Each result carries the host that ran it. Fails (ConcurError) when the
 * broker cannot be reached or is lost mid-run; what was already yielded stays yielded, once.
 *
 *   for await (const r of map(lines, { broker: 'redis://10.0.0.5:6379' })) console.log(r.host, r.output);
 */
export async function* map(
  items: Iterable<string> | AsyncIterable<string>,
  options: DistributedMapOptions,
): AsyncGenerator<DistributedItemResult, void, undefined> {
  for await (const batch of stream(chunked(items), options))
    yield* batch.results() as DistributedItemResult[];
}

/**
 * The streaming form that `concur fan-out --broker` uses: chunks of lines in (one array per read), one
 * ResultBatch out per finished batch, as `WorkerPool.stream` gives them (its results are DistributedItemResults).
 * Connects first: an unusable broker rejects before any input is read.
 */
export async function* stream(
  source: Iterable<readonly string[]> | AsyncIterable<readonly string[]>,
  options: DistributedMapOptions,
): AsyncGenerator<ResultBatch, void, undefined> {
  const coordinator = await Coordinator.open(options);
  try {
    for await (const list of coordinator.run(source)) {
      const indexes = list.map((result) => result.index);
      const inputs = list.map((result) => result.input);
      yield new ResultBatch(indexes, inputs, { results: list });
    }
  } finally {
    await coordinator.close();
  }
}

// Group single items into arrays, so a batch is cut from slices instead of item by item.
async function* chunked(items: Iterable<string> | AsyncIterable<string>): AsyncGenerator<string[]> {
  let chunk: string[] = [];
  for await (const item of items) {
    chunk.push(item);
    if (chunk.length === 4096) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

// Everything one run holds: the queue, its events, the batches out, and a wake-up for the result loop.
class Coordinator {
  readonly runId = `r${randomBytes(6).toString('hex')}`;
  private readonly outstanding = new Map<string, Outstanding>();
  private readonly events: QueueEvent[] = [];
  private readonly sizer: BatchSizer;
  fatal: Error | undefined;
  private lost = false;
  // The result loop and the producer each sleep on their own wake-up.
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private readerDone = false;
  private stopped = false;
  private seq = 0;
  private lastProgress = Date.now();
  private watchdog: NodeJS.Timeout | undefined;

  private constructor(
    private readonly options: DistributedMapOptions,
    private readonly address: BrokerAddress,
    private readonly queueName: string,
    private readonly clients: Redis[],
    private readonly queue: Queue,
    private readonly queueEvents: QueueEvents,
  ) {
    // The same sizing as local fan-out: start at one item, at most double, aim at a target time per batch.
    this.sizer = new BatchSizer(options.maxBatch ?? 4096, options.targetBatchMs ?? 200);
  }

  static async open(options: DistributedMapOptions): Promise<Coordinator> {
    const address = parseBrokerUrl(options.broker);
    const queueName = checkQueueName(options.queue ?? DEFAULT_QUEUE);
    const timeouts = options.timeouts ?? defaultTimeouts;
    // BullMQ takes a moment to load: load it while the broker is checked.
    const bullmq = import('bullmq');
    const client = await connectBroker(address, 'concur-coordinator', timeouts);
    const eventsClient = client.duplicate();
    eventsClient.on('error', () => {});
    const { Queue, QueueEvents } = await bullmq;
    const queue = new Queue(queueName, { connection: client, prefix: KEY_PREFIX });
    queue.on('error', () => {});
    // Read the event stream from its current end, taken before the first job exists: no event of ours is
    // missed, and no older run's events are replayed.
    const last = await client.xrevrange(`${KEY_PREFIX}:${queueName}:events`, '+', '-', 'COUNT', 1);
    const queueEvents = new QueueEvents(queueName, {
      connection: eventsClient,
      prefix: KEY_PREFIX,
      lastEventId: last[0]?.[0] ?? '0-0',
    });
    queueEvents.on('error', () => {});
    const coordinator = new Coordinator(
      options,
      address,
      queueName,
      [client, eventsClient],
      queue,
      queueEvents,
    );
    coordinator.listen(timeouts);
    options.signal?.addEventListener('abort', () => {
      coordinator.fatal ??= new ConcurError('stopped.', 1, 'EABORT', { cause: options.signal?.reason });
      coordinator.wakeUp();
    });
    await Promise.all([queue.waitUntilReady(), queueEvents.waitUntilReady()]);
    options.onEvent?.({
      type: 'connected',
      broker: address.display,
      queue: queueName,
      run: coordinator.runId,
    });
    return coordinator;
  }

  // Turn BullMQ's events into protocol messages, for this run's jobs only.
  private listen(timeouts: BrokerTimeouts): void {
    const ours = (jobId: string): boolean => this.outstanding.has(jobId);
    this.queueEvents.on('completed', ({ jobId, returnvalue }) => {
      if (ours(jobId)) this.push({ type: 'completed', jobId, result: returnvalue as unknown as FromHost });
    });
    this.queueEvents.on('failed', ({ jobId, failedReason }) => {
      if (ours(jobId)) this.push({ type: 'failed', jobId, reason: failedReason });
    });
    this.queueEvents.on('stalled', ({ jobId }) => {
      if (ours(jobId)) this.push({ type: 'stalled', jobId });
    });
    this.queueEvents.on('active', ({ jobId }) => {
      if (ours(jobId)) this.push({ type: 'active', jobId });
    });
    for (const client of this.clients)
      client.once('end', () => {
        this.lost = true;
        this.fatal ??= brokerLost(this.address, timeouts);
        this.wakeUp();
      });
    // Nobody pulling? Say so once (a run with no host would otherwise wait in silence), and keep waiting.
    let warned = false;
    this.watchdog = setInterval(() => {
      if (warned || this.outstanding.size === 0 || Date.now() - this.lastProgress < 3000) return;
      void this.queue.getWorkersCount().then(
        (count) => {
          if (count > 0 || warned) return;
          warned = true;
          this.options.onEvent?.({ type: 'no-hosts', queue: this.queueName, broker: this.address.display });
        },
        () => {},
      );
    }, 1000);
    this.watchdog.unref();
  }

  private push(event: QueueEvent): void {
    this.events.push(event);
    this.wakeUp();
  }

  wakeUp(): void {
    const consumer = this.wakeConsumer;
    const producer = this.wakeProducer;
    this.wakeConsumer = this.wakeProducer = undefined;
    consumer?.();
    producer?.();
  }

  private sleep(who: 'consumer' | 'producer'): Promise<void> {
    return new Promise((resolve) => {
      if (who === 'consumer') this.wakeConsumer = resolve;
      else this.wakeProducer = resolve;
    });
  }

  // Read the input, cut it into batches and add them as jobs, never more than `window` out at once.
  // A batch also ends with each chunk, so a slow trickle of input is sent on at once.
  private async produce(
    source: Iterable<readonly string[]> | AsyncIterable<readonly string[]>,
  ): Promise<void> {
    const maxChars = this.options.maxBatchChars ?? 1 << 20;
    const window = this.options.window ?? 32;
    let index = 0;
    for await (const chunk of source) {
      for (let start = 0; start < chunk.length;) {
        while (this.outstanding.size >= window && !this.fatal && !this.stopped) await this.sleep('producer');
        if (this.fatal) throw this.fatal;
        if (this.stopped) return;
        const limit = Math.min(chunk.length, start + this.sizer.next());
        let end = start;
        let chars = 0;
        // At least one line per batch, however long; then stop before the character limit.
        while (end < limit && (end === start || chars + (chunk[end] as string).length <= maxChars))
          chars += (chunk[end++] as string).length;
        const inputs = chunk.slice(start, end);
        start = end;
        const seq = this.seq++;
        const jobId = `${this.runId}-${seq}`;
        const data: ToHost = { type: 'batch', run: this.runId, first: index, inputs };
        index += inputs.length;
        // Registered before it is added: its completion may arrive before add() returns.
        const sentAt = recorder.enabled ? epochNow() : undefined;
        this.outstanding.set(jobId, { seq, first: data.first, inputs, sentAt });
        // Removed as soon as it completes or fails: a clean run leaves none of its keys in Redis. A batch the
        // host's processor throws on (not an item's error: those travel in the result) is tried again.
        await this.queue.add('batch', data, {
          jobId,
          removeOnComplete: true,
          removeOnFail: true,
          attempts: (this.options.retries ?? 1) + 1,
          backoff: { type: 'fixed', delay: 100 },
        });
        this.options.onEvent?.({ type: 'sent', jobId, first: data.first, count: inputs.length });
      }
    }
  }

  /** Send every chunk's lines and yield each batch's results as they come back (in order unless told not to). */
  async *run(
    source: Iterable<readonly string[]> | AsyncIterable<readonly string[]>,
  ): AsyncGenerator<DistributedItemResult[]> {
    const ordered = this.options.ordered ?? true;
    const producing = this.produce(source).then(
      () => {
        this.readerDone = true;
        this.wakeUp();
      },
      (error: unknown) => {
        this.fatal ??= error instanceof Error ? error : new Error(String(error));
        this.wakeUp();
      },
    );
    // Ordered output: finished batches wait here until every batch before them has been yielded.
    const finished = new Map<number, DistributedItemResult[]>();
    let nextSeq = 0;
    try {
      for (;;) {
        if (this.fatal) throw this.fatal;
        const event = this.events.shift();
        if (!event) {
          if (this.readerDone && this.outstanding.size === 0) break;
          await this.sleep('consumer');
          continue;
        }
        const results = this.handle(event);
        if (!results) continue;
        this.wakeUp(); // room in the window: let the producer go on
        if (!ordered) {
          yield results.list;
          continue;
        }
        finished.set(results.seq, results.list);
        for (let list = finished.get(nextSeq); list; list = finished.get(nextSeq)) {
          finished.delete(nextSeq++);
          yield list;
        }
      }
      await producing;
    } finally {
      // Broken off early (or failed): let the producer stop reading its source.
      this.stopped = true;
      this.wakeUp();
    }
  }

  // One event from the queue; returns the items it finished (a batch's worth), or nothing.
  private handle(event: QueueEvent): { seq: number; list: DistributedItemResult[] } | undefined {
    switch (event.type) {
      case 'completed': {
        const job = this.outstanding.get(event.jobId);
        // A stalled job can finish twice (at-least-once delivery): the first result wins, a repeat is ignored.
        if (!job) return undefined;
        this.outstanding.delete(event.jobId);
        this.lastProgress = Date.now();
        const list = expand(job, event.result);
        if (!list) return { seq: job.seq, list: failAll(job, 'the host returned a malformed result') };
        this.sizer.observe(job.inputs.length, event.result.elapsedMs);
        if (recorder.enabled) recordBatch(event.jobId, job, event.result);
        this.options.onEvent?.({
          type: 'done',
          jobId: event.jobId,
          host: event.result.host,
          count: job.inputs.length,
          elapsedMs: event.result.elapsedMs,
        });
        return { seq: job.seq, list };
      }
      case 'failed': {
        const job = this.outstanding.get(event.jobId);
        if (!job) return undefined;
        this.outstanding.delete(event.jobId);
        this.lastProgress = Date.now();
        recorder.emit(recorder.self.role, recorder.self.pid, 'note', {
          failed: event.jobId,
          reason: event.reason,
        });
        this.options.onEvent?.({ type: 'failed', jobId: event.jobId, reason: event.reason });
        return { seq: job.seq, list: failAll(job, `no host could run this batch: ${event.reason}`) };
      }
      case 'stalled':
        recorder.emit(recorder.self.role, recorder.self.pid, 'note', { stalled: event.jobId });
        this.options.onEvent?.({ type: 'stalled', jobId: event.jobId });
        return undefined;
      case 'active':
        this.lastProgress = Date.now();
        return undefined;
      default: {
        const unknown: never = event;
        throw new Error(`coordinator: unknown queue event ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Take back batches nobody has started (a run cut short), stop listening and disconnect. */
  async close(): Promise<void> {
    clearInterval(this.watchdog);
    if (!this.lost)
      await Promise.allSettled([...this.outstanding.keys()].map((jobId) => this.queue.remove(jobId)));
    // A broker gone mid-close must not hold the run open.
    await Promise.race([
      Promise.allSettled([this.queueEvents.close(), this.queue.close()]),
      delay(this.lost ? 500 : 5000),
    ]);
    for (const client of this.clients) client.disconnect();
  }
}

/**
 * A finished batch as the coordinator and its host lived it, told by the result: the coordinator queued it, the
 * host (its name as the role, its PID) took it and ran it, and its results came back. The host's track in a
 * trace is built from these alone: the coordinator never sees hosts start or stop.
 */
function recordBatch(jobId: string, job: Outstanding, result: FromHost): void {
  const { pid, startedAt, endedAt } = result;
  if (typeof pid !== 'number' || typeof startedAt !== 'number' || typeof endedAt !== 'number') return;
  const host = { role: String(result.host), pid };
  const batch = { jobId, first: job.first, count: job.inputs.length };
  const msg = recorder.send(recorder.self, host, 'batch', batch, job.sentAt);
  recorder.receive(host, recorder.self, msg, 'batch', batch, startedAt);
  recorder.task(host, 'batch', startedAt, endedAt, { ...batch, failed: result.failures.length });
  recorder.message(host, recorder.self, 'results', batch, endedAt);
}

// A host's columns back into one result per item; undefined when the result does not fit the batch.
function expand(job: Outstanding, result: FromHost): DistributedItemResult[] | undefined {
  const n = job.inputs.length;
  if (
    typeof result !== 'object' ||
    result === null ||
    result.type !== 'results' ||
    !Array.isArray(result.outputs) ||
    result.outputs.length !== n ||
    !Array.isArray(result.failures) ||
    !Array.isArray(result.runs)
  )
    return undefined;
  const errors = new Map(result.failures.map((failure) => [failure.offset, failure.message]));
  const list: DistributedItemResult[] = new Array<DistributedItemResult>(n);
  const host = String(result.host);
  let k = 0;
  for (const [count, worker, pid, attempts] of result.runs) {
    for (const end = Math.min(n, k + count); k < end; k++) {
      const output = result.outputs[k];
      // Same fields in the same order as local fan-out's records, then the host.
      const item = { index: job.first + k, input: job.inputs[k] as string } as DistributedItemResult;
      if (typeof output === 'string') item.output = output;
      else item.error = errors.get(k) ?? 'no output';
      item.worker = worker;
      item.pid = pid;
      item.attempts = attempts;
      item.host = host;
      list[k] = item;
    }
  }
  return k === n ? list : undefined;
}

function failAll(job: Outstanding, reason: string): DistributedItemResult[] {
  return job.inputs.map((input, k) => ({
    index: job.first + k,
    input,
    error: reason,
    worker: 0,
    pid: 0,
    attempts: 0,
    host: '',
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// The worker host: `concur worker`.

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
    const result = { ...columns(name, results, elapsedMs), pid: process.pid, startedAt, endedAt: epochNow() };
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

// Job data comes from whoever can write to the queue: check its shape before trusting any of it.
function checkBatch(data: unknown): BatchJob | string {
  const batch = data as Partial<BatchJob> | null;
  if (
    typeof batch !== 'object' ||
    batch === null ||
    batch.type !== 'batch' ||
    typeof batch.run !== 'string' ||
    !Number.isSafeInteger(batch.first) ||
    !Array.isArray(batch.inputs) ||
    !batch.inputs.every((input) => typeof input === 'string')
  )
    return 'malformed batch: expected {type: "batch", run, first, inputs: string[]}';
  return batch as BatchJob;
}

// The pool's per-item results as the columns the protocol sends.
function columns(host: string, results: ItemResult[], elapsedMs: number): FromHost {
  const outputs = new Array<string | null>(results.length);
  const failures: FromHost['failures'] = [];
  const runs: FromHost['runs'] = [];
  let run: FromHost['runs'][number] | undefined;
  results.forEach((item, offset) => {
    outputs[offset] = item.output ?? null;
    if (item.output === undefined) failures.push({ offset, message: item.error ?? 'failed' });
    if (run && run[1] === item.worker && run[2] === item.pid && run[3] === item.attempts) run[0]++;
    else runs.push((run = [1, item.worker, item.pid, item.attempts]));
  });
  return { type: 'results', host, outputs, failures, runs, elapsedMs };
}
