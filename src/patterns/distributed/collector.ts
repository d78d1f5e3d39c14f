/**
 * The coordinator's ledger of batches out: what it sent, and what each arrival from the broker means for them. A
 * host's record finishes a batch (the first one wins: delivery is at-least-once), a refusal or a batch gone from
 * the queue fails its items with the reason, a stall is only told. Every result must come from the same worker
 * code (the same module, or the same command): two hosts that disagree stop the run. The loop that waits for arrivals is the coordinator's
 * (coordinator.ts); the probe that notices jobs stalled or gone is in probe.ts.
 * Try: concur demo distributed
 */
import { ConcurError } from '../../process/errors.js';
import { recorder } from '../../trace/events.js';
import type { BatchResult, FromHost, JobState, ModuleId } from './protocol.js';
import { decodeResults, type DistributedItemResult } from './encoding.js';
import type { CoordinatorEvent } from './options.js';
import type { BatchSizer } from '../fan-out/sizer.js';
import { describeWork, isCommand } from './work-id.js';

/** A batch sent and not yet answered. */
export interface Outstanding {
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

  /** One arrival; returns the items it finished (a batch's worth), or nothing. */
  handle(arrival: Arrival): { seq: number; list: DistributedItemResult[] } | undefined {
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
        this.onEvent?.({
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
  private lose(jobId: string, reason: string): { seq: number; list: DistributedItemResult[] } | undefined {
    const job = this.outstanding.get(jobId);
    if (!job) return undefined;
    this.outstanding.delete(jobId);
    this.lastProgress = Date.now();
    recorder.emit(recorder.self.role, recorder.self.pid, 'note', { failed: jobId, reason });
    this.onEvent?.({ type: 'failed', jobId, reason });
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
