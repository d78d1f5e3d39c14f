/**
 * The coordinator of distributed fan-out (`concur fan-out --broker`): the same fan-out as src/patterns/fan-out/,
 * with the worker processes spread over many hosts (host.ts).
 *
 * The coordinator cuts the input into batches and puts them in a BullMQ queue on Redis; every worker host pulls
 * batches and runs them in its own local pool; the results wait in the run's own list in Redis (store.ts) until
 * the coordinator pops them, and leave in input order (or as they finish). A watchdog bounds every wait: a
 * silent broker, a run the broker forgot, a batch that vanished, hosts that disagree on the code all end the run
 * with one line that says why. Batch sizing, cutting and the ordered window are local fan-out's own
 * (BatchSizer, cutBatch/chunks, OrderedWindow); only the transport differs. The coordinator runs no user code.
 *
 * Use it when one machine's cores are not enough for a job. The engine is a real one (BullMQ), so a host that
 * dies mid-batch costs a few seconds, not the run. The messages are in protocol.ts.
 * Try: concur demo distributed
 */
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
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
import {
  DEFAULT_QUEUE,
  KEY_PREFIX,
  type BatchResult,
  type FromHost,
  type JobState,
  type ModuleId,
  type ToHost,
} from './protocol.js';
import { decodeResults, parseRecord, type DistributedItemResult } from './encoding.js';
import { jobKey, RUN_TTL_MS, runKeys, takeResults, takeWaiting, type RunKeys } from './store.js';
import { SilenceWatch } from './watch.js';
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
  | { type: 'no-hosts'; queue: string; broker: string }
  /** The broker has not answered for `ms` (said once per silence; the run stops if it lasts `silentMs`). */
  | { type: 'silent'; broker: string; ms: number; limitMs: number };

interface Outstanding {
  /** Its number in the ordered window. */
  seq: number;
  first: number;
  inputs: string[];
  /** When it was put in the queue (epoch ms), while recording. */
  sentAt?: number;
  /** In Redis (add() returned): only then does its absence mean anything. */
  added: boolean;
  /** Stalls seen so far (BullMQ's counter on the job), and checks in a row that found the job gone. */
  stalls: number;
  missing: number;
  /** The reader's round when the job was first found gone. */
  missingSince: number;
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

// What reaches the result loop: a host's record from the run's list, or what the watchdog saw in the queue.
type Arrival = FromHost | JobState;

// Everything one run holds: the queue, the run's keys, the batches out, and a wake-up for the result loop.
class Coordinator {
  readonly runId = `r${randomBytes(6).toString('hex')}`;
  private readonly keys: RunKeys;
  private readonly outstanding = new Map<string, Outstanding>();
  private readonly inbox: Arrival[] = [];
  private readonly sizer: BatchSizer;
  // Batches sent and not yet yielded: bounds the queue and the reorder buffer, as in local fan-out.
  private readonly window: OrderedWindow<DistributedItemResult[]>;
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
  // Pops the reader has finished: a job gone from the queue is judged only after a pop issued since.
  private readerRounds = 0;
  private lastProgress = Date.now();
  private probing = 0;
  private warnedSilent = false;
  private warnedNoHosts = false;
  // The first host's module: every other result must come from the same code.
  private module: { id: ModuleId; host: string } | undefined;

  private constructor(
    private readonly options: DistributedMapOptions,
    private readonly address: BrokerAddress,
    private readonly queueName: string,
    private readonly client: Redis,
    private readonly reader: Redis,
    private readonly queue: Queue,
    private readonly timeouts: BrokerTimeouts,
  ) {
    // The same sizing as local fan-out: start at one item, at most double, aim at a target time per batch.
    this.sizer = new BatchSizer(options.maxBatch ?? 4096, options.targetBatchMs ?? 200);
    this.window = new OrderedWindow({ ordered: options.ordered ?? true, maxBatches: options.window ?? 32 });
    this.keys = runKeys(queueName, this.runId);
    this.watch = new SilenceWatch(timeouts.silentMs);
  }

  static async open(options: DistributedMapOptions): Promise<Coordinator> {
    const address = parseBrokerUrl(options.broker);
    const queueName = checkQueueName(options.queue ?? DEFAULT_QUEUE);
    const timeouts = options.timeouts ?? defaultTimeouts;
    // BullMQ takes a moment to load: load it while the broker is checked.
    const bullmq = import('bullmq');
    const client = await connectBroker(address, 'concur-coordinator', timeouts);
    // Its own connection for the blocking pop, so probes and adds never queue behind it.
    const reader = client.duplicate();
    reader.on('error', () => {});
    const { Queue } = await bullmq;
    const queue = new Queue(queueName, { connection: client, prefix: KEY_PREFIX });
    queue.on('error', () => {});
    const coordinator = new Coordinator(options, address, queueName, client, reader, queue, timeouts);
    options.signal?.addEventListener('abort', () => {
      coordinator.fail(new ConcurError('stopped.', 1, 'EABORT', { cause: options.signal?.reason }));
    });
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
    void coordinator.read();
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

  // Pop results from the run's list as they come: a blocking pop of a second at a time, so the reader answers
  // (and proves its connection alive) at least once a second.
  private async read(): Promise<void> {
    while (!this.closed) {
      try {
        const texts = await takeResults(this.reader, this.keys, 1000, 1);
        this.readerRounds++;
        this.watch.heard('reader');
        this.accept(texts);
      } catch {
        if (this.closed) return;
        await delay(250);
      }
    }
  }

  private accept(texts: string[]): void {
    for (const text of texts) {
      const record = parseRecord(text);
      if (record) this.inbox.push(record);
    }
    if (texts.length > 0) this.wakeUp();
  }

  // Once a second: is the broker there, does it still know this run, and what became of the jobs out?
  private tick(): void {
    if (this.fatal || this.closed) return;
    const silent = this.watch.silent();
    if (silent) {
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
    const checked = [...this.outstanding].filter(([, job]) => job.added).map(([jobId]) => jobId);
    const pipeline = this.client.pipeline();
    // Refreshing the run key's expiry also tells whether the broker still has it.
    pipeline.pexpire(this.keys.run, RUN_TTL_MS);
    for (const jobId of checked) {
      pipeline.exists(jobKey(this.queueName, jobId));
      pipeline.hget(jobKey(this.queueName, jobId), 'stc');
    }
    pipeline.exec().then(
      (replies) => {
        this.probing = 0;
        this.warnedSilent = false;
        this.watch.heard('client');
        if (replies) void this.review(checked, replies);
      },
      () => {
        this.probing = 0;
      },
    );
    this.checkHosts();
  }

  // The probe's answers: a run the broker forgot, jobs stalled, jobs gone without a record.
  private async review(checked: string[], replies: [Error | null, unknown][]): Promise<void> {
    // An error reply (a server still loading its data, say) tells nothing either way: ask again next tick.
    if (replies.some(([error]) => error)) return;
    if (replies[0]?.[1] !== 1) {
      const batches = this.outstanding.size;
      const items = [...this.outstanding.values()].reduce((sum, job) => sum + job.inputs.length, 0);
      this.fail(
        new ConcurError(
          `the broker lost this run's jobs (was it restarted?): run ${this.runId} is gone from ${this.address.display} with ${batches} batch${batches === 1 ? '' : 'es'} (${items} items) unanswered, after ${this.delivered} results were written; run it again.`,
          1,
          'ERUNLOST',
        ),
      );
      return;
    }
    const gone: string[] = [];
    checked.forEach((jobId, k) => {
      const job = this.outstanding.get(jobId);
      if (!job) return;
      const stalls = Number(replies[2 + 2 * k]?.[1] ?? 0);
      if (stalls > job.stalls) {
        job.stalls = stalls;
        this.inbox.push({ type: 'stalled', jobId, count: stalls });
      }
      if (replies[1 + 2 * k]?.[1] === 1) job.missing = 0;
      else if (job.missing++ === 0) job.missingSince = this.readerRounds;
      // A host writes its record before its job completes, so once the job is gone its record is in the list,
      // or in a pop's reply still on the way (after a cut, TCP may deliver it seconds late). Gone in two checks,
      // and a pop issued after the first one has returned: no record is coming.
      if (job.missing >= 2 && this.readerRounds >= job.missingSince + 2) gone.push(jobId);
    });
    if (gone.length > 0) {
      // One last look at the list first: a host writes its record before its job completes.
      this.accept(await takeWaiting(this.client, this.keys, 1000).catch(() => []));
      for (const jobId of gone) this.inbox.push({ type: 'gone', jobId });
    }
    this.wakeUp();
  }

  // Nobody pulling? Say so once (a run with no host would otherwise wait in silence), and keep waiting.
  private checkHosts(): void {
    if (this.warnedNoHosts || this.outstanding.size === 0 || Date.now() - this.lastProgress < 3000) return;
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
        // Registered before it is added: its result may arrive before add() returns.
        const sentAt = recorder.enabled ? epochNow() : undefined;
        const job: Outstanding = {
          seq,
          first: data.first,
          inputs,
          sentAt,
          added: false,
          stalls: 0,
          missing: 0,
          missingSince: 0,
        };
        this.outstanding.set(jobId, job);
        // Removed as soon as it completes or fails: a clean run leaves none of its keys in Redis. A batch the
        // host's processor throws on (not an item's error: those travel in the result) is tried again.
        await this.queue.add('batch', data, {
          jobId,
          removeOnComplete: true,
          removeOnFail: true,
          attempts: (this.options.retries ?? 1) + 1,
          backoff: { type: 'fixed', delay: 100 },
        });
        job.added = true;
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
      (error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))),
    );
    try {
      for (;;) {
        if (this.fatal) throw this.fatal;
        // Ordered: a finished batch waits in the window until every batch before it has been yielded.
        const list = this.window.take();
        if (list) {
          this.wakeUp(); // room in the window: let the producer go on
          this.delivered += list.length;
          yield list;
          continue;
        }
        const arrival = this.inbox.shift();
        if (!arrival) {
          if (this.readerDone && this.window.outstanding === 0) break;
          await this.sleep('consumer');
          continue;
        }
        const results = this.handle(arrival);
        if (results) this.window.settle(results.seq, results.list);
      }
      await producing;
    } finally {
      // Broken off early (or failed): let the producer stop reading its source.
      this.stopped = true;
      this.wakeUp();
    }
  }

  // One arrival; returns the items it finished (a batch's worth), or nothing.
  private handle(arrival: Arrival): { seq: number; list: DistributedItemResult[] } | undefined {
    switch (arrival.type) {
      case 'results': {
        const job = this.outstanding.get(arrival.job);
        // A stalled job can finish twice (at-least-once delivery): the first result wins, a repeat is ignored.
        if (!job) return undefined;
        this.checkModule(arrival);
        this.outstanding.delete(arrival.job);
        this.lastProgress = Date.now();
        const list = decodeResults(job, arrival);
        if (!list) return { seq: job.seq, list: failAll(job, 'the host returned a malformed result') };
        this.sizer.observe(job.inputs.length, arrival.elapsedMs);
        if (recorder.enabled) recordBatch(arrival.job, job, arrival);
        this.options.onEvent?.({
          type: 'done',
          jobId: arrival.job,
          host: arrival.host,
          count: job.inputs.length,
          elapsedMs: arrival.elapsedMs,
        });
        return { seq: job.seq, list };
      }
      case 'failed':
        return this.lose(arrival.job, `host ${arrival.host} refused this batch: ${arrival.reason}`);
      case 'gone':
        return this.lose(
          arrival.jobId,
          'the batch left the queue unanswered (it stalled on too many hosts, or was removed by hand)',
        );
      case 'stalled': {
        if (!this.outstanding.has(arrival.jobId)) return undefined;
        recorder.emit(recorder.self.role, recorder.self.pid, 'note', { stalled: arrival.jobId });
        this.options.onEvent?.({ type: 'stalled', jobId: arrival.jobId });
        return undefined;
      }
      default: {
        const unknown: never = arrival;
        throw new Error(`coordinator: unknown arrival ${JSON.stringify(unknown)}`);
      }
    }
  }

  // A batch that will not be answered: its items fail with the reason.
  private lose(jobId: string, reason: string): { seq: number; list: DistributedItemResult[] } | undefined {
    const job = this.outstanding.get(jobId);
    if (!job) return undefined;
    this.outstanding.delete(jobId);
    this.lastProgress = Date.now();
    recorder.emit(recorder.self.role, recorder.self.pid, 'note', { failed: jobId, reason });
    this.options.onEvent?.({ type: 'failed', jobId, reason });
    return { seq: job.seq, list: failAll(job, `no host could run this batch: ${reason}`) };
  }

  // Two hosts running different code would mix two answers in one output: stop instead.
  private checkModule(result: BatchResult): void {
    const id: ModuleId = result.module ?? { name: 'an unnamed module', sha256: '' };
    if (!this.module) {
      this.module = { id, host: result.host };
      return;
    }
    if (this.module.id.sha256 === id.sha256) return;
    const show = (m: ModuleId): string => `${m.name} (sha256 ${m.sha256.slice(0, 12)})`;
    throw new ConcurError(
      `hosts disagree on the work: ${this.module.host} runs ${show(this.module.id)} and ${result.host} runs ${show(id)}; start every host of queue '${this.queueName}' with the same --worker.`,
      1,
      'EMODULES',
    );
  }

  /** Forget the run in Redis (its key, its results, its batches nobody started), then disconnect. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watch.stop();
    if (!this.lost) {
      // The run key first: a host that finishes one of our batches from now on writes nothing.
      const forget = async (): Promise<void> => {
        await this.client.del(this.keys.run, this.keys.results);
        await Promise.allSettled([...this.outstanding.keys()].map((jobId) => this.queue.remove(jobId)));
      };
      await Promise.race([forget().catch(() => {}), delay(5000)]);
    }
    // A broker gone mid-close must not hold the run open.
    await Promise.race([this.queue.close().catch(() => {}), delay(this.lost ? 500 : 2000)]);
    this.client.disconnect();
    this.reader.disconnect();
  }
}

/**
 * A finished batch as the coordinator and its host lived it, told by the result: the coordinator queued it, the
 * host (its name as the role, its PID) took it and ran it, and its results came back. The host's track in a
 * trace is built from these alone: the coordinator never sees hosts start or stop.
 */
function recordBatch(jobId: string, job: Outstanding, result: BatchResult): void {
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
