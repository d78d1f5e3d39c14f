/**
 * Fan-out / fan-in: a pool of worker processes that share nothing and exchange only messages.
 *
 * The pool forks N workers (one per core by default), fans items out to them in batches, and fans the results
 * back in: in input order, streaming as soon as order allows (a bounded reorder buffer), or as they finish.
 * Each worker is watched by a monitor; when one dies, the pool starts a replacement and retries only the items
 * that were in flight on it, each at most `retries` times, so nothing is lost and nothing is answered twice.
 * A worker that keeps dying trips Erlang's restart intensity (MaxR restarts in MaxT) and the pool gives up.
 *
 * Use it for CPU-bound work on many independent items (one core is not enough, threads share too much), or
 * to keep crashing code at arm's length. From Python's multiprocessing.Pool (map, imap, imap_unordered,
 * chunksize) and Erlang's monitors and supervisors (Armstrong: black boxes that detect each other's failures).
 * Try: concur demo fan-out
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LOAD_TIMEOUT_MS, loadTimedOut, resolveModule } from '../../modules/contract.js';
import { ConcurError, UsageError } from '../../process/errors.js';
import { recorder } from '../../trace/events.js';
import { forkChild, track } from '../../process/children.js';
import { describeReason, monitor, RestartIntensity, type ExitReason } from '../../process/supervision.js';
import { receiveFrom } from '../../process/messages.js';
import { isFromFanOutWorker, type FromFanOutWorker, type ToFanOutWorker } from './protocol.js';
import { cutBatch, wholeLines } from './cutter.js';
import { BatchItems } from './batch-items.js';
import type { ItemResult, ResultBatch } from './results.js';
import { BatchSizer } from './sizer.js';
import { formatDuration, recover, type Task } from './task.js';
import { fanIn, type ItemChunk, type StreamOptions } from './fan-in.js';
import type { LineCount } from '../../modules/lines.js';
import type { PoolEvent, PoolOptions } from './pool-options.js';
import {
  answerBatch,
  progressInterval,
  recordBatch,
  sendBatch,
  startWatchdog,
  stopWorker,
  type Slot,
} from './slot.js';

export type { ItemResult } from './results.js';
export type { StreamOptions } from './fan-in.js';
export type { PoolEvent, PoolOptions } from './pool-options.js';

/** The worker child's entry point, next to this file once built. */
export const workerPath = fileURLToPath(new URL('./worker.child.js', import.meta.url));

// Batches a worker may hold at once: one running, one waiting in its channel, so it never idles on a round trip.
const DEPTH = 2;

/**
 * A pool of forked worker processes running one module. Start it with `WorkerPool.start`, give it work with
 * `run` (a batch) or `stream` (an iterable of line chunks), and `close` it when done.
 */
export class WorkerPool extends EventEmitter<{ event: [PoolEvent] }> {
  /** Number of worker processes. */
  readonly jobs: number;
  readonly retries: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private readonly intensity: RestartIntensity;
  private readonly sizer: BatchSizer;
  private readonly maxBatchChars: number;
  private readonly maxBatchBytes: number;
  private readonly fork: NonNullable<PoolOptions['fork']>;
  private nextTaskId = 1;
  private readonly newId = (): number => this.nextTaskId++;
  private failure: Error | undefined;
  private closing = false;
  private startup: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private readonly timeoutMs: number;
  // How often a worker reports the item it starts, and how often the watchdog looks (0: no timeout).
  private readonly progressMs: number;
  private watchdog: NodeJS.Timeout | undefined;

  private constructor(private readonly options: PoolOptions & { cwd: string }) {
    super();
    this.jobs = options.jobs ?? availableParallelism();
    this.retries = options.retries ?? 1;
    this.intensity = new RestartIntensity(options.maxRestarts ?? 10, options.periodMs ?? 5000);
    this.sizer = new BatchSizer(options.maxBatchItems);
    this.maxBatchChars = options.maxBatchChars ?? 1024 * 1024;
    this.maxBatchBytes = options.maxBatchBytes ?? 64 * 1024;
    this.fork = options.fork ?? forkChild;
    this.timeoutMs = options.timeoutMs ?? 0;
    this.progressMs = progressInterval(this.timeoutMs);
    if (options.onEvent) this.on('event', options.onEvent);
  }

  /**
   * Check the worker module, fork the workers and wait until every one has loaded it. A missing file,
   * a syntax error or a missing default export rejects with a UsageError (exit 2) before any work is taken.
   */
  static async start(options: PoolOptions): Promise<WorkerPool> {
    const cwd = options.cwd ?? process.cwd();
    resolveModule(options.worker, cwd);
    const jobs = options.jobs ?? availableParallelism();
    if (!Number.isSafeInteger(jobs) || jobs < 1) throw new UsageError(`jobs must be a whole number ≥ 1.`);
    const { timeoutMs } = options;
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0))
      throw new UsageError(`timeoutMs must be a number of milliseconds above 0.`);
    const pool = new WorkerPool({ ...options, cwd, jobs });
    const started = new Promise<void>((resolve, reject) => {
      pool.startup = { resolve, reject };
    });
    // Each worker bounds its own loading and says so; this is for one stuck in an endless loop, a second later.
    const limit = (options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS) + 1000;
    const stuck = setTimeout(
      () => pool.startup?.reject(loadTimedOut(options.worker, limit - 1000)),
      Math.min(limit, 2 ** 31 - 1),
    );
    try {
      // One fork per turn of the event loop: a signal that arrives while many workers start is handled at once.
      for (let id = 1; id <= jobs && !pool.closing; id++) {
        pool.spawn(id);
        if (id < jobs) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (pool.closing) throw pool.failure ?? new ConcurError('the worker pool was closed.', 1, 'ECLOSED');
      pool.watchdog = startWatchdog(pool.slots, pool.timeoutMs, pool.progressMs);
      await started;
    } catch (error) {
      await pool.close();
      throw error;
    } finally {
      clearTimeout(stuck);
    }
    pool.startup = undefined;
    return pool;
  }

  /** The live workers: slot number and PID. */
  get workers(): { worker: number; pid: number }[] {
    return this.slots.map((slot) => ({ worker: slot.id, pid: slot.pid }));
  }

  /**
   * Run a batch of items and resolve with a result for every one, in the batch's order. Items on a worker
   * that dies are retried (at most `retries` times each); an item that fails has `error` set. Rejects only if
   * the pool gives up (restart intensity) or is closed.
   */
  async run(batch: readonly { index: number; input: string }[]): Promise<ItemResult[]> {
    const parts: Promise<ResultBatch>[] = [];
    for (let start = 0; start < batch.length;) {
      const size = this.sizer.next({ remaining: batch.length - start, workers: this.jobs });
      const end = cutBatch(batch, start, size, this.maxBatchChars, (item) => item.input.length);
      const items = batch.slice(start, end);
      const indexes = items.map((item) => item.index);
      parts.push(
        this.submit(
          BatchItems.of(
            indexes,
            items.map((item) => item.input),
          ),
        ),
      );
      start = end;
    }
    return (await Promise.all(parts)).flatMap((part) => part.results());
  }

  /**
   * Fan a stream of items out and fan the results back in, one delivered batch at a time. `source` yields
   * chunks of items (e.g. the lines of one read from stdin); items are numbered from 0 across chunks.
   * Reading stops while `window` batches are undelivered, so memory stays bounded however long the stream.
   */
  stream(
    source: AsyncIterable<ItemChunk | Buffer> | Iterable<ItemChunk | Buffer>,
    options: StreamOptions = {},
  ): AsyncGenerator<ResultBatch, void, undefined> {
    return fanIn(source, this.sizer, {
      ordered: options.ordered ?? true,
      window: options.window ?? 16 * this.jobs,
      maxBatchChars: this.maxBatchChars,
      maxBatchBytes: this.maxBatchBytes,
      submit: (items) => this.submit(items),
    });
  }

  /**
   * `stream` for the lines of a byte stream (stdin, a file, a socket), which the pool never decodes: batches
   * are cut from the bytes where lines end and decoded by the workers, and results that all succeeded come
   * back as bytes to write as they are (`ResultBatch.outputLines`). A line is what ends in \n (a \r stays in
   * it); a last line without one counts. `count`, when given, follows the lines read (for a progress display).
   */
  streamLines(
    source: AsyncIterable<Uint8Array>,
    options: StreamOptions & { count?: LineCount } = {},
  ): AsyncGenerator<ResultBatch, void, undefined> {
    return this.stream(wholeLines(source, options.count), options);
  }

  /**
   * Stop every worker and resolve when all have exited. Work still outstanding is abandoned (its promises
   * reject), so call it once your `run` calls have settled, or to stop early (Ctrl-C, `| head -1`).
   */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.watchdog);
    // Who is busy must be read before abandon() empties every slot's batches.
    const busy = new Set(this.slots.filter((slot) => slot.inFlight.length > 0 || !slot.ready));
    this.abandon(new ConcurError('the worker pool was closed.', 1, 'ECLOSED'));
    await Promise.all(this.slots.map((slot) => stopWorker(slot, busy.has(slot))));
  }

  // Queue one batch; resolves with its results once a worker has answered for every item.
  private submit(items: BatchItems): Promise<ResultBatch> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((done, fail) => {
      this.queue.push({ id: this.nextTaskId++, items, attempts: 0, retried: 0, done, fail });
      this.dispatch();
    });
  }

  // Hand queued batches to the ready workers with the fewest batches in flight.
  private dispatch(): void {
    while (this.queue.length > 0) {
      let best: Slot | undefined;
      for (const slot of this.slots)
        if (
          slot.ready &&
          slot.inFlight.length < DEPTH &&
          (!best || slot.inFlight.length < best.inFlight.length)
        )
          best = slot;
      if (!best) return;
      sendBatch(best, this.queue.shift() as Task);
    }
  }

  private emitEvent(event: PoolEvent): void {
    this.emit('event', event);
  }

  // Fork a worker into slot `id` (a new one, or a replacement), monitor it, and ask it to load the module.
  private spawn(id: number, previousPid?: number): void {
    // stdout → our stderr: a worker's console.log must never mix with the data on stdout.
    const child = track(
      this.fork(workerPath, [], { stdio: ['ignore', 2, 'inherit', 'ipc'], serialization: 'advanced' }),
    );
    // Recorded as "worker <slot>": its spawn now, its exit (or crash) when it happens.
    const ref = recorder.child(child, `worker ${id}`, { slot: id });
    const slot: Slot = {
      id,
      child,
      pid: child.pid ?? 0,
      ref,
      ready: false,
      inFlight: [],
      demonitor: () => {},
      heardAt: performance.now(),
      timedOut: false,
    };
    this.slots[id - 1] = slot;
    // A send to a worker that just died fails; its monitor handles the death.
    child.on('error', () => {});
    receiveFrom(child, isFromFanOutWorker, (message) => this.receive(slot, message));
    // afterMessages: results a worker sent just before dying must count as answered, not be run again.
    slot.demonitor = monitor(child, (down) => this.down(slot, down.reason), { afterMessages: true });
    if (previousPid === undefined) this.emitEvent({ type: 'spawn', worker: id, pid: slot.pid });
    else {
      this.emitEvent({ type: 'restart', worker: id, pid: slot.pid, previousPid });
      recorder.emit(ref.role, ref.pid, 'restart', { previousPid });
    }
    recorder.send(recorder.self, ref, 'load', { spec: this.options.worker });
    child.send({
      type: 'load',
      spec: this.options.worker,
      cwd: this.options.cwd,
      loadTimeoutMs: this.options.loadTimeoutMs,
      progressMs: this.progressMs,
      timeoutMs: this.timeoutMs,
    } satisfies ToFanOutWorker);
  }

  private receive(slot: Slot, message: FromFanOutWorker): void {
    slot.heardAt = performance.now();
    switch (message.type) {
      case 'progress':
        return;
      case 'ready':
        recorder.message(slot.ref, recorder.self, 'ready');
        slot.ready = true;
        this.emitEvent({ type: 'ready', worker: slot.id, pid: slot.pid });
        // Workers are forked one per event-loop turn: the first may be ready before the last exists.
        if (this.startup && this.slots.length === this.jobs && this.slots.every((s) => s.ready))
          this.startup.resolve();
        this.dispatch();
        return;
      case 'load-failed':
        // The module loaded in the checks of `start` but not here (or not on restart): a usage error.
        this.giveUp(new UsageError(message.message, 'EBADMODULE'));
        return;
      case 'results':
      case 'results-text':
      case 'results-lines': {
        const at = slot.inFlight.findIndex((task) => task.id === message.id);
        if (at < 0) return;
        const [task] = slot.inFlight.splice(at, 1) as [Task];
        this.sizer.observe(task.items.length, message.busyMs);
        if (recorder.enabled) recordBatch(slot, task, message);
        const { busyMs, rss } = message;
        this.emitEvent({
          type: 'batch',
          worker: slot.id,
          pid: slot.pid,
          items: task.items.length,
          busyMs,
          rss,
        });
        task.done(answerBatch(slot, task, message));
        this.dispatch();
        return;
      }
      default: {
        const unknown: never = message;
        throw new Error(`fan-out pool: unknown message ${JSON.stringify(unknown)}`);
      }
    }
  }

  // A monitor fired: requeue what the dead worker held, charge the batch it was running, and restart it.
  private down(slot: Slot, reason: ExitReason): void {
    if (this.closing || this.failure) return;
    const [running, ...waiting] = slot.inFlight;
    const wasReady = slot.ready;
    slot.inFlight = [];
    slot.ready = false;
    const timedOutMs = slot.timedOut ? this.timeoutMs : undefined;
    this.emitEvent({
      type: 'crash',
      worker: slot.id,
      pid: slot.pid,
      reason,
      inFlight: (running?.items.length ?? 0) + waiting.reduce((sum, task) => sum + task.items.length, 0),
      ...(timedOutMs === undefined ? {} : { timedOutMs }),
    });
    // Batches not yet started go back to the front, as they were: they were never attempted.
    this.queue.unshift(...waiting);
    if (running) {
      const dead = { worker: slot.id, pid: slot.pid };
      const why = timedOutMs === undefined ? undefined : `timed out after ${formatDuration(timedOutMs)}`;
      this.queue.unshift(...recover(running, this.retries, dead, reason, this.newId, why));
    }
    if (!this.intensity.allow()) {
      this.emitEvent({
        type: 'give-up',
        worker: slot.id,
        reason,
        restarts: this.intensity.maxRestarts,
        periodMs: this.intensity.periodMs,
      });
      const seconds = this.intensity.periodMs / 1000;
      recorder.emit(recorder.self.role, recorder.self.pid, 'note', {
        gaveUp: slot.ref.role,
        restarts: this.intensity.maxRestarts,
      });
      const when = wasReady ? 'kept dying' : 'kept dying at start-up';
      this.giveUp(
        new ConcurError(
          `worker ${slot.id} ${when} (${describeReason(reason)}): more than ${this.intensity.maxRestarts} ` +
            `restarts in ${seconds} s, so the pool stopped. Fix the worker module, or allow more restarts.`,
          1,
          'ERESTARTS',
        ),
      );
      return;
    }
    this.spawn(slot.id, slot.pid);
  }

  // Stop for good: reject outstanding and future work with `error`, and stop the workers.
  private giveUp(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.startup?.reject(error);
    this.abandon(error);
    void this.close();
  }

  private abandon(error: Error): void {
    const tasks = [...this.queue.splice(0), ...this.slots.flatMap((slot) => slot.inFlight.splice(0))];
    for (const task of tasks) task.fail(error);
  }
}
