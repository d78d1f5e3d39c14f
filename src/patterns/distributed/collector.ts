/**
 * The coordinator's ledger of batches out: what it sent, and what each arrival from the broker means for them. A
 * host's record finishes a batch (the first one wins: delivery is at-least-once), a refusal or a batch gone from
 * the queue fails its items with the reason, a stall is only told. Every result must come from the same worker
 * code (the same module, or the same command): two hosts that disagree stop the run. The loop that waits for
 * arrivals is the coordinator's (run.ts); the probe that notices jobs stalled or gone is in probe.ts.
 * Try: concur demo distributed
 */
import { ConcurError } from '../../process/errors.js';
import { recorder } from '../../trace/events.js';
import type {
  BatchBytesResult,
  BatchResult,
  BatchTextResult,
  FromHost,
  JobState,
  ModuleId,
  ResultHeader,
} from './protocol.js';
import { decodeBatch, type DistributedItemResult, type SentBatch } from './encoding.js';
import { decodeJobs } from './command-results.js';
import { linesOf } from '../fan-out/protocol.js';
import { ResultBatch } from '../fan-out/results.js';
import type { CoordinatorEvent } from './options.js';
import type { BatchSizer } from '../fan-out/sizer.js';
import { describeWork, isCommand } from './work-id.js';

/**
 * A batch sent and not yet answered: `count` items from `first`, as the job carried them (the bytes of its
 * lines, their text joined with '\n', or the strings themselves when an item holds a newline). The strings are
 * made only when asked for: a failure to report, or `--json`.
 */
export class Outstanding implements SentBatch {
  /** In Redis (add() returned): only then does its absence mean anything. */
  added = false;
  /** Stalls seen so far (BullMQ's counter on the job), and checks in a row that found the job gone. */
  stalls = 0;
  missing = 0;
  /** The reader's round when the job was first found gone. */
  missingSince = 0;
  readonly first: number;
  readonly count: number;
  readonly bytes: Buffer | undefined;
  readonly text: string | undefined;
  private list: readonly string[] | undefined;

  constructor(
    /** Its number in the ordered window. */
    readonly seq: number,
    batch: { first: number; count: number; bytes?: Buffer; text?: string; inputs?: readonly string[] },
    /** Where its lines wait in Redis (a `batch-key` job), until its result is in. */
    readonly key: string | undefined,
    /** When it was put in the queue (epoch ms), while recording. */
    readonly sentAt: number | undefined,
  ) {
    ({ first: this.first, count: this.count, bytes: this.bytes, text: this.text, inputs: this.list } = batch);
  }

  get inputs(): readonly string[] {
    this.list ??= this.bytes ? linesOf(this.bytes) : (this.text as string).split('\n');
    return this.list;
  }
}

/** What reaches the result loop: a host's record from the run's list, or what the probe saw in the queue. */
export type Arrival = FromHost | JobState;

/** The batches out, by job id, and how each arrival settles them. */
export class Collector {
  readonly outstanding = new Map<string, Outstanding>();
  /** When a batch last finished or failed (epoch ms): a long wait with none tells that no host is pulling. */
  lastProgress = Date.now();
  // The first host's module: every other result must come from the same code.
  private module: { id: ModuleId; host: string } | undefined;

  constructor(
    private readonly queueName: string,
    private readonly sizer: BatchSizer,
    private readonly onEvent: ((event: CoordinatorEvent) => void) | undefined,
  ) {}

  /** One arrival; returns the batch it finished, or nothing. */
  handle(arrival: Arrival): { job: Outstanding; batch: ResultBatch } | undefined {
    switch (arrival.type) {
      case 'results':
      case 'results-text':
      case 'results-bytes': {
        const job = this.outstanding.get(arrival.job);
        // A stalled job can finish twice (at-least-once delivery): the first result wins, a repeat is ignored.
        if (!job) return undefined;
        this.checkModule(arrival);
        this.outstanding.delete(arrival.job);
        this.lastProgress = Date.now();
        const batch = arrival.type === 'results-bytes' ? decodeJobs(job, arrival) : decodeBatch(job, arrival);
        if (!batch) return { job, batch: failAll(job, 'the host returned a malformed result') };
        const cost = costOf(arrival);
        if (cost !== undefined) this.sizer.observe(job.count, cost);
        if (recorder.enabled) recordBatch(arrival.job, job, arrival);
        this.onEvent?.({
          type: 'done',
          jobId: arrival.job,
          host: arrival.host,
          count: job.count,
          elapsedMs: arrival.elapsedMs,
        });
        return { job, batch };
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
        this.onEvent?.({ type: 'stalled', jobId: arrival.jobId });
        return undefined;
      }
      default: {
        const unknown: never = arrival;
        throw new Error(`coordinator: unknown arrival ${JSON.stringify(unknown)}`);
      }
    }
  }

  // A batch that will not be answered: its items fail with the reason.
  private lose(jobId: string, reason: string): { job: Outstanding; batch: ResultBatch } | undefined {
    const job = this.outstanding.get(jobId);
    if (!job) return undefined;
    this.outstanding.delete(jobId);
    this.lastProgress = Date.now();
    recorder.emit(recorder.self.role, recorder.self.pid, 'note', { failed: jobId, reason });
    this.onEvent?.({ type: 'failed', jobId, reason });
    return { job, batch: failAll(job, `no host could run this batch: ${reason}`) };
  }

  // Two hosts running different code would mix two answers in one output: stop instead.
  private checkModule(result: ResultHeader): void {
    const id: ModuleId = result.module ?? { name: 'an unnamed module', sha256: '' };
    if (!this.module) {
      this.module = { id, host: result.host };
      return;
    }
    if (this.module.id.sha256 === id.sha256) return;
    const how = isCommand(this.module.id) || isCommand(id) ? '--worker or -- <command>' : '--worker';
    throw new ConcurError(
      `hosts disagree on the work: ${this.module.host} runs ${describeWork(this.module.id)} and ${result.host} runs ${describeWork(id)}; start every host of queue '${this.queueName}' with the same ${how}.`,
      1,
      'EMODULES',
    );
  }
}

/**
 * A finished batch as the coordinator and its host lived it, told by the result: the coordinator queued it, the
 * host (its name as the role, its PID) took it and ran it, and its results came back. The host's track in a
 * trace is built from these alone: the coordinator never sees hosts start or stop.
 */
function recordBatch(
  jobId: string,
  job: Outstanding,
  result: BatchResult | BatchTextResult | BatchBytesResult,
): void {
  const { pid, startedAt, endedAt } = result;
  if (typeof pid !== 'number' || typeof startedAt !== 'number' || typeof endedAt !== 'number') return;
  const host = { role: String(result.host), pid };
  const batch = { jobId, first: job.first, count: job.count };
  const failed = result.type === 'results-text' ? 0 : result.failures.length;
  const msg = recorder.send(recorder.self, host, 'batch', batch, job.sentAt);
  recorder.receive(host, recorder.self, msg, 'batch', batch, startedAt);
  recorder.task(host, 'batch', startedAt, endedAt, { ...batch, failed });
  recorder.message(host, recorder.self, 'results', batch, endedAt);
}

// What a batch cost its host, for the sizer: the pool's busy time if the host sent it, else its elapsed time.
// Numbers from the network are checked: NaN would stall the sizer.
function costOf(result: ResultHeader): number | undefined {
  for (const ms of [result.busyMs, result.elapsedMs])
    if (typeof ms === 'number' && ms >= 0 && ms < Infinity) return ms;
  return undefined;
}

function failAll(job: Outstanding, reason: string): ResultBatch {
  const list = job.inputs.map((input, k): DistributedItemResult => ({
    index: job.first + k,
    input,
    error: reason,
    worker: 0,
    pid: 0,
    attempts: 0,
    host: '',
  }));
  return new ResultBatch(
    list.map((item) => item.index),
    job.inputs,
    { results: list },
  );
}
