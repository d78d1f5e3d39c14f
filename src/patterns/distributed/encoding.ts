/**
 * The encoding of distributed fan-out's results, beside the protocol it encodes (protocol.ts); how a host checks
 * a job before trusting it is in job-data.ts.
 *
 * A host sends its pool's results back: when every item succeeded, as the output lines' bytes and a
 * run-length list of who ran what (`encodeBatch`), so a batch of 65,536 lines is a few buffers end to end;
 * otherwise as columns (`encodeResults`): outputs, the few failures, and the runs. The coordinator keeps a
 * joined result joined (`decodeBatch`: written out as it came, items made only when asked for), turns columns
 * back into one result per item (`decodeResults`), and refuses a result that does not fit its batch. A command
 * host's records, each job's stdout as bytes, are in command-results.ts.
 * Try: concur demo distributed
 */
import { BatchItems } from '../fan-out/batch-items.js';
import { countNewlines } from '../fan-out/cutter.js';
import { linesOf } from '../fan-out/protocol.js';
import { ResultBatch, type ItemResult } from '../fan-out/results.js';
import type { BatchResult, BatchTextResult, FromHost, ModuleId, ResultHeader } from './protocol.js';

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
 * A host's record for a batch its pool answered in `parts` (consecutive, in order): the output lines as one text
 * when every part came back whole (joined or as bytes: every item succeeded, no output holds a newline), else
 * the columns. Parts that came back as bytes are put together as bytes, never decoded.
 */
export function encodeBatch(
  job: string,
  host: string,
  module: ModuleId,
  parts: readonly ResultBatch[],
  elapsedMs: number,
): BatchResult | BatchTextResult {
  const runs: ResultHeader['runs'] = [];
  const lines: (string | Uint8Array)[] = [];
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
    lines.push(part.outputLines());
  }
  return { type: 'results-text', job, host, module, lines: together(lines), runs, elapsedMs };
}

// Texts and byte arrays one after another: a string when all are strings, else the bytes of all.
function together(parts: (string | Uint8Array)[]): string | Uint8Array {
  if (parts.length === 1) return parts[0] as string | Uint8Array;
  if (parts.every((part) => typeof part === 'string')) return parts.join('');
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));
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
 * A record as it goes into the run's list: one line of JSON; a `results-text` record's output lines follow it
 * after a newline, as they are (bytes stay bytes), so the megabytes of a batch are neither escaped nor parsed.
 */
export function encodeRecord(record: FromHost): string | Buffer {
  if (record.type !== 'results-text') return JSON.stringify(record);
  const { lines, ...header } = record;
  const head = `${JSON.stringify(header)}\n`;
  return typeof lines === 'string' ? head + lines : Buffer.concat([Buffer.from(head), lines]);
}

/**
 * A record popped from the run's list: parsed, or undefined when it is not one (nothing there is trusted). Popped
 * as bytes, a `results-text` record's lines stay bytes: a view of what Redis sent, written out as it is.
 */
export function parseRecord(encoded: string | Buffer): FromHost | undefined {
  try {
    // JSON.stringify writes no raw newline: the first one, if any, ends the header.
    const cut = encoded.indexOf('\n');
    const head =
      typeof encoded === 'string'
        ? encoded.slice(0, cut === -1 ? encoded.length : cut)
        : encoded.toString('utf8', 0, cut === -1 ? encoded.length : cut);
    const record = JSON.parse(head) as FromHost | null;
    if (typeof record !== 'object' || record === null || typeof record.job !== 'string') return undefined;
    if (cut !== -1) {
      if (record.type !== 'results-text') return undefined;
      record.lines = typeof encoded === 'string' ? encoded.slice(cut + 1) : encoded.subarray(cut + 1);
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
  batch: SentBatch,
  result: BatchResult | BatchTextResult,
): ResultBatch | undefined {
  if (result.type === 'results') {
    const list = decodeResults(batch, result);
    return list && new ResultBatch(indexesOf(batch), batch.inputs, { results: list });
  }
  const n = batch.count;
  const { lines } = result;
  if (
    (typeof lines !== 'string' && !(lines instanceof Uint8Array)) ||
    !Array.isArray(result.runs) ||
    !result.runs.every(isRun)
  )
    return undefined;
  const bytes =
    typeof lines === 'string'
      ? Buffer.from(lines)
      : Buffer.from(lines.buffer, lines.byteOffset, lines.length);
  // n output lines, each ending in \n: counted without splitting.
  if (bytes[bytes.length - 1] !== 10 || countNewlines(bytes) !== n || covered(result.runs) < n)
    return undefined;
  return new JoinedBatch(batch, bytes, result.runs, String(result.host));
}

/**
 * A batch the coordinator sent, as the results are checked against it: `count` items from `first`, their
 * text as the job carried it when it did (the items joined with '\n'), and the items themselves on demand.
 */
export interface SentBatch {
  readonly first: number;
  readonly count: number;
  /** The lines as sent, each ending in \n (a `batch-key` job). */
  readonly bytes?: Buffer | undefined;
  readonly text?: string | undefined;
  readonly inputs: readonly string[];
}

/**
 * A host's columns back into one result per item of the batch that starts at `first`; undefined when the
 * result does not fit the batch (wrong shape, wrong number of outputs, malformed failures or runs, runs that
 * do not cover every item).
 */
export function decodeResults(batch: SentBatch, result: BatchResult): DistributedItemResult[] | undefined {
  const n = batch.count;
  if (
    typeof result !== 'object' ||
    result === null ||
    result.type !== 'results' ||
    !Array.isArray(result.outputs) ||
    result.outputs.length !== n ||
    !failuresAndRunsFit(result, n)
  )
    return undefined;
  const errors = new Map(result.failures.map((failure) => [failure.offset, failure.message]));
  return itemsOf(batch.first, batch.inputs, result.runs, String(result.host), (k) => {
    const output = result.outputs[k];
    return typeof output === 'string' ? { output } : { error: errors.get(k) ?? 'no output' };
  });
}

/**
 * A batch every item of which succeeded, its output lines as the host sent them: `outputLines()` is those
 * bytes, and `results()` makes one DistributedItemResult per item (for `--json` and `map`) only when called.
 */
class JoinedBatch extends ResultBatch {
  private list: DistributedItemResult[] | undefined;

  private readonly first: number;

  // The batch's own joined text, when the job carried one, saves looking at each input again.
  constructor(
    batch: SentBatch,
    bytes: Buffer,
    private readonly runs: ResultHeader['runs'],
    private readonly host: string,
  ) {
    const [, worker, pid, attempts] = runs[0] ?? [0, 0, 0, 0];
    super(BatchItems.joined(batch), { bytes, worker, pid, attempts });
    this.first = batch.first;
  }

  override results(): DistributedItemResult[] {
    if (this.list) return this.list;
    const outputs = linesOf(this.outputLines() as Uint8Array);
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
export function indexesOf(batch: { first: number; count: number }): number[] {
  const indexes = new Array<number>(batch.count);
  for (let k = 0; k < indexes.length; k++) indexes[k] = batch.first + k;
  return indexes;
}

/** A record's failures are well formed and its runs are, and cover all `n` items of its batch. */
export function failuresAndRunsFit(result: { failures: unknown; runs: unknown }, n: number): boolean {
  const { failures, runs } = result;
  return (
    Array.isArray(failures) &&
    failures.every(isFailure) &&
    Array.isArray(runs) &&
    runs.every(isRun) &&
    covered(runs as ResultHeader['runs']) >= n
  );
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
