/**
 * One run of distributed fan-out, as the coordinator (coordinator.ts) lives it: connect, put the input in the
 * queue as jobs (no more than the window allows out), collect each batch's results from the run's list in Redis
 * (reader.ts, collector.ts) and give them back in order, watch the broker once a second (probe.ts), and forget
 * the run in Redis however it ends. coordinator.ts holds the functions a caller uses; this is the machinery.
 * Try: concur demo distributed
 */
import { randomBytes } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  brokerLost,
  checkQueueName,
  connectBroker,
  defaultTimeouts,
  delay,
  loadBullmq,
  parseBrokerUrl,
  type BrokerAddress,
  type BrokerTimeouts,
} from './redis.js';
import { epochNow } from '../../trace/clock.js';
import { ConcurError } from '../../process/errors.js';
import { recorder } from '../../trace/events.js';
import { DEFAULT_QUEUE, KEY_PREFIX, type FromHost, type ToHost } from './protocol.js';
import { batchKey, putBatch, RUN_TTL_MS, runKeys, takeWaiting, type RunKeys } from './store.js';
import { SilenceWatch } from './watch.js';
import { MAX_READER_RENEWALS, parseAll, ResultReader } from './reader.js';
import { MAX_BATCH, MAX_BATCH_CHARS, WINDOW_CHARS, type Gathered, type LineRun } from './gather.js';
import { byteBatches, stringBatches, type CutBatch } from './batches.js';
import { Collector, Outstanding, type Arrival } from './collector.js';
import type { DistributedMapOptions } from './options.js';
import { batchData, probe, readerLost, review, runLost, silence, type ProbeReplies } from './probe.js';
import type { ItemChunk } from '../fan-out/fan-in.js';
import type { ResultBatch } from '../fan-out/results.js';
import { BatchSizer } from '../fan-out/sizer.js';
import { OrderedWindow } from '../fan-out/window.js';

/** Everything one run holds: the queue, the run's keys, the batches out, and a wake-up for the result loop. */
export class Coordinator {
  readonly runId = `r${randomBytes(6).toString('hex')}`;
  private readonly keys: RunKeys;
  private readonly inbox: Arrival[] = [];
  private readonly sizer: BatchSizer;
  // The batches out, and what each arrival does to them.
  private readonly collector: Collector;
  // Batches sent and not yet yielded: bounds the queue and the reorder buffer, as in local fan-out.
  private readonly window: OrderedWindow<ResultBatch>;
  private readonly watch: SilenceWatch;
  fatal: Error | undefined;
  private lost = false;
  private closed = false;
  // The result loop and the producer each sleep on their own wake-up.
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private readerDone = false;
  private stopped = false;
  private delivered = 0;
  // Items put in the queue so far: the next batch's first index.
  private sentItems = 0;
  private probing = 0;
  private warnedSilent = false;
  private warnedNoHosts = false;
  // The results' own connection (reader.ts).
  private readonly reader: ResultReader;

  private constructor(
    private readonly options: DistributedMapOptions,
    private readonly address: BrokerAddress,
    private readonly queueName: string,
    private readonly client: Redis,
    reader: Redis,
    private readonly queue: Queue,
    private readonly timeouts: BrokerTimeouts,
  ) {
    // The same sizing as local fan-out: start at one item, aim at a target time per batch. Each size at most
    // eight times the last, not twice: a result takes a trip through Redis and a host, not a pipe, so doubling
    // from one line to a job of 65,536 would take 16 of those trips.
    this.sizer = new BatchSizer(options.maxBatch ?? MAX_BATCH, options.targetBatchMs ?? 200, 8);
    // Bounded in characters too, as local fan-out is: batches of long lines are few lines each.
    this.window = new OrderedWindow({
      ordered: options.ordered ?? true,
      maxBatches: options.window ?? 32,
      maxChars: WINDOW_CHARS,
    });
    this.keys = runKeys(queueName, this.runId);
    this.watch = new SilenceWatch(timeouts.silentMs);
    this.collector = new Collector(queueName, this.sizer, options.onEvent);
    this.reader = new ResultReader(reader, this.keys, this.watch, (records) => this.accept(records));
  }

  static async open(options: DistributedMapOptions): Promise<Coordinator> {
    const address = parseBrokerUrl(options.broker);
    const queueName = checkQueueName(options.queue ?? DEFAULT_QUEUE);
    const timeouts = options.timeouts ?? defaultTimeouts;
    const client = await connectBroker(address, 'concur-coordinator', timeouts);
    const { Queue } = loadBullmq();
    const reader = client.duplicate();
    const queue = new Queue(queueName, { connection: client, prefix: KEY_PREFIX });
    queue.on('error', () => {});
    const coordinator = new Coordinator(options, address, queueName, client, reader, queue, timeouts);
    // Stopped while it was connecting (Ctrl-C at once): the run ends before a job is sent.
    const stop = (): void =>
      coordinator.fail(new ConcurError('stopped.', 1, 'EABORT', { cause: options.signal?.reason }));
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop);
    coordinator.watch.heard('client');
    coordinator.watch.heard('reader');
    coordinator.watch.start(() => coordinator.tick());
    // The run key first: hosts write results only while it exists.
    const ready = Promise.all([
      client.set(coordinator.keys.run, JSON.stringify({ pid: process.pid }), 'PX', RUN_TTL_MS),
      queue.waitUntilReady(),
    ]);
    ready.catch(() => {});
    const watching = coordinator.untilFatal();
    try {
      await Promise.race([ready, watching.failed]);
    } catch (error) {
      await coordinator.close();
      throw error;
    } finally {
      watching.stop();
    }
    void coordinator.reader.start();
    options.onEvent?.({
      type: 'connected',
      broker: address.display,
      queue: queueName,
      run: coordinator.runId,
    });
    return coordinator;
  }

  // `failed` rejects when the run fails: bounds a wait on anything that could hang with the broker.
  private untilFatal(): { failed: Promise<never>; stop: () => void } {
    let stopped = false;
    const failed = new Promise<never>((_, reject) => {
      const check = (): void => {
        if (stopped) return;
        if (this.fatal) reject(this.fatal);
        else setTimeout(check, 100).unref();
      };
      check();
    });
    failed.catch(() => {});
    return { failed, stop: () => (stopped = true) };
  }

  fail(error: Error): void {
    this.fatal ??= error;
    this.wakeUp();
  }

  private accept(records: readonly FromHost[]): void {
    this.inbox.push(...records);
    if (records.length > 0) this.wakeUp();
  }

  // Once a second: is the broker there, does it still know this run, and what became of the jobs out?
  private tick(): void {
    if (this.fatal || this.closed) return;
    const silent = silence(this.watch, this.timeouts.silentMs);
    if (silent.type === 'reader' && this.reader.renewals < MAX_READER_RENEWALS) {
      this.reader.renew(silent.ms, this.collector.outstanding);
      this.options.onEvent?.({ type: 'reconnected', broker: this.address.display, ms: silent.ms });
    } else if (silent.type === 'reader') {
      this.fail(readerLost(this.address, this.reader.quietMs(), this.reader.renewals));
      return;
    } else if (silent.type === 'lost') {
      this.lost = true;
      this.fail(brokerLost(this.address, silent.ms));
      return;
    }
    if (this.probing) {
      const ms = Date.now() - this.probing;
      if (!this.warnedSilent && ms >= 3000) {
        this.warnedSilent = true;
        this.options.onEvent?.({
          type: 'silent',
          broker: this.address.display,
          ms,
          limitMs: this.timeouts.silentMs,
        });
      }
      return;
    }
    this.probing = Date.now();
    const { checked, replies } = probe(this.client, this.queueName, this.keys, this.collector.outstanding);
    replies.then(
      (answers) => {
        this.probing = 0;
        this.warnedSilent = false;
        this.watch.heard('client');
        if (answers) void this.review(checked, answers);
      },
      () => {
        this.probing = 0;
      },
    );
    this.checkHosts();
  }

  // A job gone with no record, whose record a lost pop may have taken: added again (delivery is at-least-once,
  // and the first record wins). If that fails too, its items fail as a gone job's do.
  private async resend(jobId: string): Promise<void> {
    this.reader.unsure.delete(jobId);
    const job = this.collector.outstanding.get(jobId);
    if (!job) return;
    job.added = false;
    job.missing = 0;
    try {
      await this.queue.add('batch', batchData(this.runId, job), this.jobOptions(jobId));
      job.added = true;
      this.options.onEvent?.({ type: 'resent', jobId });
    } catch {
      this.inbox.push({ type: 'gone', jobId });
      this.wakeUp();
    }
  }

  // How every batch is added: removed as soon as it completes or fails, so a clean run leaves none of its keys in
  // Redis. A batch the host's processor throws on (not an item's error: those travel in the result) is tried again.
  private jobOptions(jobId: string): JobsOptions {
    return {
      jobId,
      removeOnComplete: true,
      removeOnFail: true,
      attempts: (this.options.retries ?? 1) + 1,
      backoff: { type: 'fixed', delay: 100 },
    };
  }

  // Act on the probe's answers (probe.ts): stop on a lost run, pass on stalls and jobs gone to the result loop.
  private async review(checked: string[], replies: ProbeReplies): Promise<void> {
    const verdict = review(checked, replies, this.collector.outstanding, this.reader.rounds);
    const { unsure } = this.reader;
    for (const jobId of unsure) if (!this.collector.outstanding.has(jobId)) unsure.delete(jobId);
    if (verdict.type === 'unknown') return;
    if (verdict.type === 'run-lost') {
      this.fail(runLost(this.runId, this.address, this.collector.outstanding, this.delivered));
      return;
    }
    this.inbox.push(...verdict.stalled);
    if (verdict.gone.length > 0) {
      // One last look at the list first: a host writes its record before its job completes.
      this.accept(parseAll(await takeWaiting(this.client, this.keys, 1000).catch(() => [])));
      // A record now in the inbox settles its job before the 'gone' behind it is read: nothing to send again.
      const answered = new Set(this.inbox.map((arrival) => ('job' in arrival ? arrival.job : '')));
      for (const jobId of verdict.gone)
        if (unsure.has(jobId) && !answered.has(jobId)) void this.resend(jobId);
        else this.inbox.push({ type: 'gone', jobId });
    }
    this.wakeUp();
  }

  // Nobody pulling? Say so once (a run with no host would otherwise wait in silence), and keep waiting.
  private checkHosts(): void {
    if (
      this.warnedNoHosts ||
      this.collector.outstanding.size === 0 ||
      Date.now() - this.collector.lastProgress < 3000
    )
      return;
    void this.queue.getWorkersCount().then(
      (count) => {
        if (count > 0 || this.warnedNoHosts) return;
        this.warnedNoHosts = true;
        this.options.onEvent?.({ type: 'no-hosts', queue: this.queueName, broker: this.address.display });
      },
      () => {},
    );
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
  private async produce(input: Gathered): Promise<void> {
    const maxChars = this.options.maxBatchChars ?? MAX_BATCH_CHARS;
    // Many reads to a job when the sizer asks for more lines than one read holds.
    for await (const chunk of input(() => this.sizer.next(), maxChars)) {
      const batches = Array.isArray(chunk)
        ? stringBatches(chunk as ItemChunk)
        : byteBatches(chunk as LineRun);
      while (batches.more()) {
        while (this.window.full && !this.fatal && !this.stopped) await this.sleep('producer');
        if (this.fatal) throw this.fatal;
        if (this.stopped) return;
        await this.send(batches.next(this.sizer.next(), maxChars));
      }
    }
  }

  // Put one batch in the queue as a job: its lines' bytes under a key beside it when it has them, else its
  // lines joined in one string when they can be, else as strings.
  private async send(cut: CutBatch): Promise<void> {
    const { count, bytes, text, inputs, chars } = cut;
    const seq = this.window.add(chars);
    const jobId = `${this.runId}-${seq}`;
    const run = this.runId;
    const first = this.sentItems;
    this.sentItems += count;
    const key = bytes ? batchKey(this.keys, seq) : undefined;
    const data: ToHost = key
      ? { type: 'batch-key', run, first, count, key }
      : text !== undefined
        ? { type: 'batch-text', run, first, count, text }
        : { type: 'batch', run, first, inputs: inputs as string[] };
    // Registered before it is added: its result may arrive before add() returns.
    const sentAt = recorder.enabled ? epochNow() : undefined;
    const job = new Outstanding(seq, { first, count, bytes, text, inputs }, key, sentAt);
    this.collector.outstanding.set(jobId, job);
    // The lines are in Redis before the job that names them (one connection keeps the order).
    await Promise.all([
      key ? putBatch(this.client, key, bytes as Buffer) : undefined,
      this.queue.add('batch', data, this.jobOptions(jobId)),
    ]);
    job.added = true;
    this.options.onEvent?.({ type: 'sent', jobId, first, count });
  }

  /** Send every chunk's lines and yield each batch's results as they come back (in order unless told not to). */
  async *run(input: Gathered): AsyncGenerator<ResultBatch> {
    const producing = this.produce(input).then(
      () => {
        this.readerDone = true;
        this.wakeUp();
      },
      (error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))),
    );
    try {
      for (;;) {
        if (this.fatal) throw this.fatal;
        // Ordered: a finished batch waits in the window until every batch before it has been yielded.
        const batch = this.window.take();
        if (batch) {
          this.wakeUp(); // room in the window: let the producer go on
          this.delivered += batch.length;
          yield batch;
          continue;
        }
        const arrival = this.inbox.shift();
        if (!arrival) {
          if (this.readerDone && this.window.outstanding === 0) break;
          await this.sleep('consumer');
          continue;
        }
        const results = this.collector.handle(arrival);
        if (!results) continue;
        this.window.settle(results.job.seq, results.batch);
        // Its result is in: its lines are not needed any more (a copy of the job still running elsewhere is
        // refused when it finds them gone, and its answer is ignored anyway).
        if (results.job.key) this.client.del(results.job.key).catch(() => {});
      }
      await producing;
    } finally {
      // Broken off early (or failed): let the producer stop reading its source.
      this.stopped = true;
      this.wakeUp();
    }
  }

  /** Forget the run in Redis (its key, its results, its batches nobody started), then disconnect. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watch.stop();
    if (!this.lost) {
      // The run key first: a host that finishes one of our batches from now on writes nothing.
      const forget = async (): Promise<void> => {
        const lines = [...this.collector.outstanding.values()].flatMap((job) => (job.key ? [job.key] : []));
        await this.client.del(this.keys.run, this.keys.results, ...lines);
        await Promise.allSettled(
          [...this.collector.outstanding.keys()].map((jobId) => this.queue.remove(jobId)),
        );
      };
      await Promise.race([forget().catch(() => {}), delay(5000)]);
    }
    // A broker gone mid-close must not hold the run open.
    await Promise.race([this.queue.close().catch(() => {}), delay(this.lost ? 500 : 2000)]);
    this.client.disconnect();
    this.reader.close();
  }
}
