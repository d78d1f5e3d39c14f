/**
 * The coordinator's once-a-second look at the broker, beside the silence watch (watch.ts): one round trip that
 * refreshes the run key and its batches' keys and asks after every job out, and what the answers mean. A run key gone means the broker
 * was restarted empty and forgot the run; a job whose stall counter grew was taken back from a host that died or
 * froze; a job gone from the queue with no record in the run's list was failed and removed, and no answer is
 * coming. A reader silent while the probe answers is one dead socket, not a lost broker: the coordinator renews
 * it, and sends again the batches whose records a pop lost with it. The coordinator (run.ts) acts on the verdicts.
 * Try: concur demo distributed
 */
import type { Redis } from 'ioredis';
import { ConcurError } from '../../process/errors.js';
import type { JobState, ToHost } from './protocol.js';
import type { BrokerAddress } from './redis.js';
import { jobKey, RUN_TTL_MS, type RunKeys } from './store.js';
import type { Outstanding } from './collector.js';
import type { SilenceWatch } from './watch.js';

/** The probe's replies in order: the run key's refresh, then each checked job's existence and stall counter. */
export type ProbeReplies = [Error | null, unknown][];

/** What the probe's answers say. */
export type ProbeVerdict =
  /** An error reply (a server still loading its data, say) tells nothing either way: ask again next tick. */
  | { type: 'unknown' }
  /** The run key is gone: the broker lost the run. */
  | { type: 'run-lost' }
  /** The run is there; these jobs stalled again, and these are gone without a record. */
  | { type: 'seen'; stalled: JobState[]; gone: string[] };

/** Send the probe for the jobs already in Redis; `checked` names them in the order of the replies. */
export function probe(
  client: Redis,
  queueName: string,
  keys: RunKeys,
  outstanding: ReadonlyMap<string, Outstanding>,
): { checked: string[]; replies: Promise<ProbeReplies | null> } {
  const checked = [...outstanding].filter(([, job]) => job.added).map(([jobId]) => jobId);
  const pipeline = client.pipeline();
  // Refreshing the run key's expiry also tells whether the broker still has it.
  pipeline.pexpire(keys.run, RUN_TTL_MS);
  for (const jobId of checked) {
    pipeline.exists(jobKey(queueName, jobId));
    pipeline.hget(jobKey(queueName, jobId), 'stc');
  }
  // The lines of every batch out live as long as the run does: a batch may wait longer than the keys' expiry
  // for a host (none started yet, a long queue of slow commands). After the replies `review` reads.
  for (const job of outstanding.values()) if (job.key) pipeline.pexpire(job.key, RUN_TTL_MS);
  return { checked, replies: pipeline.exec() };
}

/**
 * Read the probe's answers: a run the broker forgot, jobs stalled, jobs gone without a record. Updates each
 * job's stall and missing counts; `readerRounds` is how many pops the result reader has finished so far.
 */
export function review(
  checked: string[],
  replies: ProbeReplies,
  outstanding: ReadonlyMap<string, Outstanding>,
  readerRounds: number,
): ProbeVerdict {
  if (replies.some(([error]) => error)) return { type: 'unknown' };
  if (replies[0]?.[1] !== 1) return { type: 'run-lost' };
  const stalled: JobState[] = [];
  const gone: string[] = [];
  checked.forEach((jobId, k) => {
    const job = outstanding.get(jobId);
    if (!job) return;
    const stalls = Number(replies[2 + 2 * k]?.[1] ?? 0);
    if (stalls > job.stalls) {
      job.stalls = stalls;
      stalled.push({ type: 'stalled', jobId, count: stalls });
    }
    if (replies[1 + 2 * k]?.[1] === 1) job.missing = 0;
    else if (job.missing++ === 0) job.missingSince = readerRounds;
    // A host writes its record before its job completes, so once the job is gone its record is in the list,
    // or in a pop's reply still on the way (after a cut, TCP may deliver it seconds late). Gone in two checks,
    // and a pop issued after the first one has returned: no record is coming.
    if (job.missing >= 2 && readerRounds >= job.missingSince + 2) gone.push(jobId);
  });
  return { type: 'seen', stalled, gone };
}

/** The error for a run the broker forgot: how much was lost, and what to do. */
export function runLost(
  runId: string,
  address: BrokerAddress,
  outstanding: ReadonlyMap<string, Outstanding>,
  delivered: number,
): ConcurError {
  const batches = outstanding.size;
  const items = [...outstanding.values()].reduce((sum, job) => sum + job.count, 0);
  return new ConcurError(
    `the broker lost this run's jobs (was it restarted?): run ${runId} is gone from ${address.display} with ${batches} batch${batches === 1 ? '' : 'es'} (${items} items) unanswered, after ${delivered} results were written; run it again.`,
    1,
    'ERUNLOST',
  );
}

/** What the clocks of the coordinator's two connections say (watch.ts). */
export type Silence =
  | { type: 'none' }
  /** The reader alone got no answer for `ms` while the client answered: its socket died on the way. */
  | { type: 'reader'; ms: number }
  /** A connection silent for `ms`, and not the reader alone: the broker is lost. */
  | { type: 'lost'; ms: number };

/**
 * Read the watch: a reader silent for `silentMs` while the client answered within half of it is one dead
 * socket (a NAT or a firewall that forgot it), not a lost broker. When every connection is silent, the reader's
 * clock passes the bound first with the client's close behind it, so that stays a lost broker, as before.
 */
export function silence(watch: SilenceWatch, silentMs: number): Silence {
  const silent = watch.silent();
  if (!silent) return { type: 'none' };
  if (silent.name === 'reader' && watch.since('client') < silentMs / 2)
    return { type: 'reader', ms: silent.ms };
  return { type: 'lost', ms: silent.ms };
}

/** The error for a reader that stays silent on every new connection while the broker answers the client. */
export function readerLost(address: BrokerAddress, ms: number, renewals: number): ConcurError {
  return new ConcurError(
    `the broker at ${address.display} answers, but the connection that reads results got no answer for ${(ms / 1000).toFixed(1)} s, even after ${renewals} new connection${renewals === 1 ? '' : 's'}; stopping. Check for a firewall or NAT between here and the broker that drops blocking commands.`,
    1,
    'EREADERLOST',
  );
}

/**
 * A batch's job data, rebuilt from what the coordinator keeps of it, to send it again. A `batch-key` job's lines
 * are still under its key: the key goes only when the batch's result is in.
 */
export function batchData(run: string, job: Outstanding): ToHost {
  const { first, count } = job;
  if (job.key) return { type: 'batch-key', run, first, count, key: job.key };
  if (job.text !== undefined) return { type: 'batch-text', run, first, count, text: job.text };
  return { type: 'batch', run, first, inputs: [...job.inputs] };
}
