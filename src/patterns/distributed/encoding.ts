/**
 * The encoding of distributed fan-out's jobs and results, beside the protocol it encodes (protocol.ts).
 *
 * A host checks a job's data before trusting any of it (`checkBatch`: anyone who can write to the queue can
 * put a job there), and sends its pool's results back: when every item succeeded, as one joined string and a
 * run-length list of who ran what (`encodeBatch`), so a batch of 65,536 lines is a few strings end to end;
 * otherwise as columns (`encodeResults`): outputs, the few failures, and the runs. The coordinator keeps a
 * joined result joined (`decodeBatch`: written out as it came, items made only when asked for), turns columns
 * back into one result per item (`decodeResults`), and refuses a result that does not fit its batch. A command
 * host's records, each job's stdout as bytes, are in command-results.ts.
 * Try: concur demo distributed
 */
import { BatchItems } from '../fan-out/batch-items.js';
import { ResultBatch, type ItemResult } from '../fan-out/results.js';
import type { BatchJob, BatchResult, BatchTextResult, FromHost, ModuleId, ResultHeader } from './protocol.js';

/** One item's result, as local fan-out reports it, plus the host that ran it. */
export interface DistributedItemResult extends ItemResult {
  /** The worker host's name (`concur worker --name`, by default `<hostname>-<pid>`). */
  host: string;
  /**
   * From a command host, when the job's stdout is not UTF-8: its exact bytes, base64 (`output` then holds them
   * decoded, each bad byte as U+FFFD). Absent otherwise.
   */
  outputBase64?: string;
}

/**
 * The largest batch a host takes: the coordinator sends at most 65,536 lines and 1 MiB, so anything beyond is a
 * job pushed by hand. Refused at once, not run for minutes while other hosts wait on it.
 */
export const MAX_JOB_LINES = 65_536;
export const MAX_JOB_CHARS = 32 * 1024 * 1024;

/** A batch as a host runs it: its items, and their joined text when the job carried them joined. */
export type CheckedBatch = BatchJob & { text?: string };

/** Job data comes from whoever can write to the queue: the batch if its shape is right, else why not. */
export function checkBatch(data: unknown): CheckedBatch | string {
  const batch = data as Record<string, unknown> | null;
  if (typeof batch === 'object' && batch !== null && batch.type === 'batch-text') return checkText(batch);
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
  const inputs = batch.inputs as string[];
  let chars = 0;
  for (const input of inputs) chars += input.length;
  return tooLarge(inputs.length, chars) ?? (batch as unknown as BatchJob);
}

// A `batch-text` job: the size is checked before the text is split, and the split must give `count` items.
function checkText(batch: Record<string, unknown>): CheckedBatch | string {
  const { run, first, count, text } = batch;
  if (
    typeof run !== 'string' ||
    !Number.isSafeInteger(first) ||
    !Number.isSafeInteger(count) ||
    (count as number) < 1 ||
    typeof text !== 'string'
  )
    return 'malformed batch: expected {type: "batch-text", run, first, count, text}';
  const large = tooLarge(count as number, text.length);
  if (large) return large;
  const inputs = text.split('\n');
  if (inputs.length !== count)
    return `malformed batch: its text holds ${inputs.length} lines, its count says ${String(count)}`;
  return { type: 'batch', run, first: first as number, inputs, text };
}

function tooLarge(lines: number, chars: number): string | undefined {
  if (lines > MAX_JOB_LINES || chars > MAX_JOB_CHARS)
    return `batch too large: ${lines} lines, ${chars} characters (a host takes at most ${MAX_JOB_LINES} lines and ${MAX_JOB_CHARS} characters)`;
  return undefined;
}

/**
 * A host's record for a batch its pool answered in `parts` (consecutive, in order): the joined outputs when
 * every part came back joined (every item succeeded, no output holds a newline), else the columns.
 */
export function encodeBatch(
  job: string,
  host: string,
  module: ModuleId,
  parts: readonly ResultBatch[],
  elapsedMs: number,
): BatchResult | BatchTextResult {
  const runs: ResultHeader['runs'] = [];
  for (const part of parts) {
    const ran = part.ranBy;
    if (!ran)
      return encodeResults(
        job,
        host,
        module,
        parts.flatMap((p) => p.results()),
        elapsedMs,
      );
    const last = runs[runs.length - 1];
    if (last && last[1] === ran.worker && last[2] === ran.pid && last[3] === ran.attempts)
      last[0] += part.length;
    else runs.push([part.length, ran.worker, ran.pid, ran.attempts]);
  }
  const text =
    parts.length === 1 ? (parts[0] as ResultBatch).outputText() : parts.map((p) => p.outputText()).join('\n');
  return { type: 'results-text', job, host, module, text, runs, elapsedMs };
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

/**
 * A record as it goes into the run's list: one line of JSON; a `results-text` record's joined outputs follow
 * it after a newline, as they are, so the megabytes of a batch are neither escaped nor parsed as JSON.
 */
export function encodeRecord(record: FromHost): string {
  if (record.type !== 'results-text') return JSON.stringify(record);
  const { text, ...header } = record;
  return `${JSON.stringify(header)}\n${text}`;
}

/** A record popped from the run's list: parsed, or undefined when it is not one (nothing there is trusted). */
export function parseRecord(encoded: string): FromHost | undefined {
  try {
    // JSON.stringify writes no raw newline: the first one, if any, ends the header.
    const cut = encoded.indexOf('\n');
    const record = JSON.parse(cut === -1 ? encoded : encoded.slice(0, cut)) as FromHost | null;
    if (typeof record !== 'object' || record === null || typeof record.job !== 'string') return undefined;
    if (cut !== -1) {
      if (record.type !== 'results-text') return undefined;
      record.text = encoded.slice(cut + 1);
      return record;
    }
    if (record.type === 'failed' && typeof record.reason === 'string') return record;
    if (record.type === 'results' || record.type === 'results-bytes') return record;
  } catch {
    // not JSON: fall through
  }
  return undefined;
}

/**
 * A host's record as the ResultBatch the coordinator delivers, or undefined when it does not fit the batch that
 * starts at `first`. Joined outputs stay joined: written out as they came, made into items only when asked for.
 */
export function decodeBatch(
  batch: { first: number; inputs: readonly string[]; text?: string | undefined },
  result: BatchResult | BatchTextResult,
): ResultBatch | undefined {
  if (result.type === 'results') {
    const list = decodeResults(batch, result);
    return list && new ResultBatch(indexesOf(batch), batch.inputs, { results: list });
  }
  const n = batch.inputs.length;
  if (typeof result.text !== 'string' || !Array.isArray(result.runs) || !result.runs.every(isRun))
    return undefined;
  // n items joined hold n - 1 newlines: counted without splitting.
  let newlines = 0;
  for (let at = result.text.indexOf('\n'); at !== -1 && newlines < n; at = result.text.indexOf('\n', at + 1))
    newlines++;
  if (newlines !== n - 1 || covered(result.runs) < n) return undefined;
  return new JoinedBatch(batch, result.text, result.runs, String(result.host));
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
    !result.runs.every(isRun) ||
    covered(result.runs) < n
  )
    return undefined;
  const errors = new Map(result.failures.map((failure) => [failure.offset, failure.message]));
  return itemsOf(batch.first, batch.inputs, result.runs, String(result.host), (k) => {
    const output = result.outputs[k];
    return typeof output === 'string' ? { output } : { error: errors.get(k) ?? 'no output' };
  });
}

/**
 * A batch every item of which succeeded, its outputs joined as the host sent them: `outputText()` is that
 * string, and `results()` makes one DistributedItemResult per item (for `--json` and `map`) only when called.
 */
class JoinedBatch extends ResultBatch {
  private list: DistributedItemResult[] | undefined;

  private readonly first: number;

  // The batch's own joined text, when the job carried one, saves looking at each input again.
  constructor(
    batch: { first: number; inputs: readonly string[]; text?: string | undefined },
    text: string,
    private readonly runs: ResultHeader['runs'],
    private readonly host: string,
  ) {
    const [, worker, pid, attempts] = runs[0] ?? [0, 0, 0, 0];
    super(BatchItems.joined(batch.first, batch.inputs, batch.text), { text, worker, pid, attempts });
    this.first = batch.first;
  }

  override results(): DistributedItemResult[] {
    if (this.list) return this.list;
    const outputs = this.outputText().split('\n');
    this.list = itemsOf(this.first, this.inputs, this.runs, this.host, (k) => ({
      output: outputs[k] as string,
    }));
    return this.list;
  }
}

/** What became of one item: its output (as text, and as base64 when that text is not its bytes), or an error. */
export type Outcome = { output: string; outputBase64?: string } | { error: string };

/**
 * One result per item, who ran it from the runs: the same fields in the same order as local fan-out's records,
 * then the host.
 */
export function itemsOf(
  first: number,
  inputs: readonly string[],
  runs: ResultHeader['runs'],
  host: string,
  outcome: (k: number) => Outcome,
): DistributedItemResult[] {
  const n = inputs.length;
  const list: DistributedItemResult[] = new Array<DistributedItemResult>(n);
  let k = 0;
  for (const [count, worker, pid, attempts] of runs) {
    for (const end = Math.min(n, k + count); k < end; k++) {
      const item = { index: first + k, input: inputs[k] as string } as DistributedItemResult;
      const result = outcome(k);
      if ('output' in result) {
        item.output = result.output;
        if (result.outputBase64 !== undefined) item.outputBase64 = result.outputBase64;
      } else item.error = result.error;
      item.worker = worker;
      item.pid = pid;
      item.attempts = attempts;
      item.host = host;
      list[k] = item;
    }
  }
  return list;
}

/** The input index of each item of a batch. */
export function indexesOf(batch: { first: number; inputs: readonly string[] }): number[] {
  const indexes = new Array<number>(batch.inputs.length);
  for (let k = 0; k < indexes.length; k++) indexes[k] = batch.first + k;
  return indexes;
}

/** How many items the runs say they cover. */
export function covered(runs: ResultHeader['runs']): number {
  let total = 0;
  for (const [count] of runs) total += count;
  return total;
}

/** A result crossed the network from a process we do not control: every part is checked before it is read. */
export function isFailure(value: unknown): boolean {
  const failure = value as { offset?: unknown; message?: unknown } | null;
  return (
    typeof failure === 'object' &&
    failure !== null &&
    Number.isSafeInteger(failure.offset) &&
    typeof failure.message === 'string'
  );
}

/** A well-formed `[count, worker, pid, attempts]`. */
export function isRun(value: unknown): boolean {
  return Array.isArray(value) && value.length === 4 && value.every((n) => Number.isSafeInteger(n) && n >= 0);
}
