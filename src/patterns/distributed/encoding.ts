/**
 * The encoding of distributed fan-out's jobs and results, beside the protocol it encodes (protocol.ts).
 *
 * A host checks a job's data before trusting any of it (`checkBatch`: anyone who can write to the queue can
 * put a job there), and sends its pool's results back as columns (`encodeResults`): outputs, the few failures,
 * and a run-length list of who ran what, so a batch of 4096 lines costs 4096 strings, not 4096 objects. The
 * coordinator turns those columns back into one result per item (`decodeResults`), and refuses a result that
 * does not fit its batch.
 * Try: concur demo distributed
 */
import type { ItemResult } from '../fan-out/results.js';
import type { BatchJob, BatchResult, FromHost, ModuleId } from './protocol.js';

/** One item's result, as local fan-out reports it, plus the host that ran it. */
export interface DistributedItemResult extends ItemResult {
  /** The worker host's name (`concur worker --name`, by default `<hostname>-<pid>`). */
  host: string;
}

/**
 * The largest batch a host takes: the coordinator sends at most 4096 lines and 1 MiB, so anything far beyond is
 * a job pushed by hand. Refused at once, not run for minutes while other hosts wait on it.
 */
export const MAX_JOB_LINES = 65_536;
export const MAX_JOB_CHARS = 32 * 1024 * 1024;

/** Job data comes from whoever can write to the queue: the batch if its shape is right, else why not. */
export function checkBatch(data: unknown): BatchJob | string {
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
  let chars = 0;
  for (const input of batch.inputs) chars += input.length;
  if (batch.inputs.length > MAX_JOB_LINES || chars > MAX_JOB_CHARS)
    return `batch too large: ${batch.inputs.length} lines, ${chars} characters (a host takes at most ${MAX_JOB_LINES} lines and ${MAX_JOB_CHARS} characters)`;
  return batch as BatchJob;
}

/** The pool's per-item results (in batch order) as the columns the protocol sends. */
export function encodeResults(
  job: string,
  host: string,
  module: ModuleId,
  results: readonly ItemResult[],
  elapsedMs: number,
): BatchResult {
  const outputs = new Array<string | null>(results.length);
  const failures: BatchResult['failures'] = [];
  const runs: BatchResult['runs'] = [];
  let run: BatchResult['runs'][number] | undefined;
  results.forEach((item, offset) => {
    outputs[offset] = item.output ?? null;
    if (item.output === undefined) failures.push({ offset, message: item.error ?? 'failed' });
    if (run && run[1] === item.worker && run[2] === item.pid && run[3] === item.attempts) run[0]++;
    else runs.push((run = [1, item.worker, item.pid, item.attempts]));
  });
  return { type: 'results', job, host, module, outputs, failures, runs, elapsedMs };
}

/** A record popped from the run's list: parsed, or undefined when it is not one (nothing there is trusted). */
export function parseRecord(text: string): FromHost | undefined {
  try {
    const record = JSON.parse(text) as FromHost | null;
    if (typeof record !== 'object' || record === null || typeof record.job !== 'string') return undefined;
    if (record.type === 'failed' && typeof record.reason === 'string') return record;
    if (record.type === 'results') return record;
  } catch {
    // not JSON: fall through
  }
  return undefined;
}

/**
 * A host's columns back into one result per item of the batch that starts at `first`; undefined when the
 * result does not fit the batch (wrong shape, wrong number of outputs, malformed failures or runs, runs that
 * do not cover every item).
 */
export function decodeResults(
  batch: { first: number; inputs: readonly string[] },
  result: BatchResult,
): DistributedItemResult[] | undefined {
  const n = batch.inputs.length;
  if (
    typeof result !== 'object' ||
    result === null ||
    result.type !== 'results' ||
    !Array.isArray(result.outputs) ||
    result.outputs.length !== n ||
    !Array.isArray(result.failures) ||
    !result.failures.every(isFailure) ||
    !Array.isArray(result.runs) ||
    !result.runs.every(isRun)
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
      const item = { index: batch.first + k, input: batch.inputs[k] as string } as DistributedItemResult;
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

// A result crossed the network from a process we do not control: every part is checked before it is read.
function isFailure(value: unknown): boolean {
  const failure = value as { offset?: unknown; message?: unknown } | null;
  return (
    typeof failure === 'object' &&
    failure !== null &&
    Number.isSafeInteger(failure.offset) &&
    typeof failure.message === 'string'
  );
}

function isRun(value: unknown): boolean {
  return Array.isArray(value) && value.length === 4 && value.every((n) => Number.isSafeInteger(n) && n >= 0);
}
