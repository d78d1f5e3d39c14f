/**
 * The coordinator of distributed fan-out (`concur fan-out --broker`): the same fan-out as src/patterns/fan-out/,
 * with the worker processes spread over many hosts (host.ts).
 *
 * The coordinator cuts the input into batches and puts them in a BullMQ queue on Redis; every worker host pulls
 * batches and runs them in its own local pool; the results come back through BullMQ's event stream and leave in
 * input order (or as they finish). Batch sizing, cutting and the ordered window are local fan-out's own
 * (BatchSizer, cutBatch/chunks, OrderedWindow); only the transport differs. The coordinator runs no user code.
 *
 * Use it when one machine's cores are not enough for a job. The engine is a real one (BullMQ), so a host that
 * dies mid-batch costs a few seconds, not the run. The messages are in protocol.ts.
 * Try: concur demo distributed
 */
import { randomBytes } from 'node:crypto';
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  brokerLost,
  checkQueueName,
  connectBroker,
  defaultTimeouts,
  delay,
  parseBrokerUrl,
  type BrokerAddress,
  type BrokerTimeouts,
} from './redis.js';
import { epochNow } from '../../trace/clock.js';
import { ConcurError } from '../../process/errors.js';
import { recorder } from '../../trace/events.js';
import { DEFAULT_QUEUE, KEY_PREFIX, type FromHost, type QueueEvent, type ToHost } from './protocol.js';
import { decodeResults, type DistributedItemResult } from './encoding.js';
import { chunks, cutBatch } from '../fan-out/cutter.js';
import { ResultBatch } from '../fan-out/results.js';
import { BatchSizer } from '../fan-out/sizer.js';
import { OrderedWindow } from '../fan-out/window.js';

export type { DistributedItemResult } from './encoding.js';

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
  /** The most batches sent and not yet yielded (queued, running or in the reorder buffer; default 32). */
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
  /** Its number in the ordered window. */
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
  for await (const batch of stream(chunks(items), options)) yield* batch.results() as DistributedItemResult[];
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

// Everything one run holds: the queue, its events, the batches out, and a wake-up for the result loop.
class Coordinator {
  readonly runId = `r${randomBytes(6).toString('hex')}`;
  private readonly outstanding = new Map<string, Outstanding>();
  private readonly events: QueueEvent[] = [];
  private readonly sizer: BatchSizer;
  // Batches sent and not yet yielded: bounds the queue and the reorder buffer, as in local fan-out.
  private readonly window: OrderedWindow<DistributedItemResult[]>;
  fatal: Error | undefined;
  private lost = false;
  // The result loop and the producer each sleep on their own wake-up.
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private readerDone = false;
  private stopped = false;
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
    this.window = new OrderedWindow({ ordered: options.ordered ?? true, maxBatches: options.window ?? 32 });
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
    let index = 0;
    for await (const chunk of source) {
      for (let start = 0; start < chunk.length;) {
        while (this.window.full && !this.fatal && !this.stopped) await this.sleep('producer');
        if (this.fatal) throw this.fatal;
        if (this.stopped) return;
        const end = cutBatch(chunk, start, this.sizer.next(), maxChars, (line) => line.length);
        const inputs = chunk.slice(start, end);
        start = end;
        const seq = this.window.add();
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
    try {
      for (;;) {
        if (this.fatal) throw this.fatal;
        // Ordered: a finished batch waits in the window until every batch before it has been yielded.
        const list = this.window.take();
        if (list) {
          this.wakeUp(); // room in the window: let the producer go on
          yield list;
          continue;
        }
        const event = this.events.shift();
        if (!event) {
          if (this.readerDone && this.window.outstanding === 0) break;
          await this.sleep('consumer');
          continue;
        }
        const results = this.handle(event);
        if (results) this.window.settle(results.seq, results.list);
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
        const list = decodeResults(job, event.result);
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
