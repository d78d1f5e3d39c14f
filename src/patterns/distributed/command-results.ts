/**
 * A command host's results, end to end: each job's stdout exactly as the job wrote it. Local command fan-out
 * (`concur fan-out -- <command>`) writes every job's stdout whole, nothing added and nothing taken off, in input
 * order; a command host's coordinator must write the same bytes. So the host sends each job's stdout as bytes
 * (base64 in a `results-bytes` record, protocol.ts) rather than as a line of text, and the coordinator delivers
 * a batch whose bytes to write are those stdouts one after another (`BytesBatch.outputLines`). Its per-item
 * results (for `--json` and `map`) keep the shape of every other result: `output` is the stdout as text, less
 * one final newline, and `outputBase64` carries the exact bytes when they are not UTF-8.
 * Try: printf 'a\nb\n' | concur fan-out --broker redis://127.0.0.1:6379   (hosts: concur worker -- printf %s {})
 */
import { ResultBatch } from '../fan-out/results.js';
import type { BatchBytesResult, ModuleId } from './protocol.js';
import {
  failuresAndRunsFit,
  indexesOf,
  itemsOf,
  type DistributedItemResult,
  type Outcome,
  type SentBatch,
} from './encoding.js';

/** One item's job as a command host reports it: who ran it, its stdout exactly, and why it failed if it did. */
export interface JobOutcome {
  index: number;
  input: string;
  /** The host's slot that ran it (from 1), the job's PID (0 if it never started), how many times it ran. */
  worker: number;
  pid: number;
  attempts: number;
  /** The last attempt's stdout, byte for byte. */
  stdout: Buffer;
  /** Why the job failed (the last attempt); absent when it succeeded. */
  error?: string;
}

/** The host's record for a batch of jobs, in the batch's order. */
export function encodeJobs(
  job: string,
  host: string,
  module: ModuleId,
  jobs: readonly JobOutcome[],
  elapsedMs: number,
): BatchBytesResult {
  const stdout = new Array<string>(jobs.length);
  const failures: BatchBytesResult['failures'] = [];
  const runs: BatchBytesResult['runs'] = [];
  let run: BatchBytesResult['runs'][number] | undefined;
  jobs.forEach((item, offset) => {
    stdout[offset] = item.stdout.toString('base64');
    if (item.error !== undefined) failures.push({ offset, message: item.error });
    if (run && run[1] === item.worker && run[2] === item.pid && run[3] === item.attempts) run[0]++;
    else runs.push((run = [1, item.worker, item.pid, item.attempts]));
  });
  return { type: 'results-bytes', job, host, module, stdout, failures, runs, elapsedMs };
}

// Standard base64, as Buffer writes it. Buffer.from would skip anything else in silence: checked first.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A `results-bytes` record as the batch the coordinator delivers, or undefined when it does not fit the batch
 * that starts at `first` (wrong number of items, bytes that are not base64, malformed failures or runs).
 */
export function decodeJobs(batch: SentBatch, result: BatchBytesResult): ResultBatch | undefined {
  const n = batch.count;
  if (
    !Array.isArray(result.stdout) ||
    result.stdout.length !== n ||
    !result.stdout.every((data) => typeof data === 'string' && BASE64.test(data)) ||
    !failuresAndRunsFit(result, n)
  )
    return undefined;
  const stdout = result.stdout.map((data) => Buffer.from(data, 'base64'));
  const errors = new Map(result.failures.map((failure) => [failure.offset, failure.message]));
  const items = itemsOf(batch.first, batch.inputs, result.runs, String(result.host), (k): Outcome => {
    const error = errors.get(k);
    if (error !== undefined) return { error };
    return outcomeOf(stdout[k] as Buffer, result.stdout[k] as string);
  });
  return new BytesBatch(indexesOf(batch), batch.inputs, items, Buffer.concat(stdout));
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lossy = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * A job's stdout as an item's `output`: text, less one final newline (so a job that prints one line gives that
 * line, as a module's output is). Stdout that is not UTF-8 is decoded with U+FFFD for each bad byte, and its
 * exact bytes go in `outputBase64`.
 */
export function outcomeOf(stdout: Buffer, base64 = stdout.toString('base64')): Outcome {
  const chop = (text: string): string => (text.endsWith('\n') ? text.slice(0, -1) : text);
  try {
    return { output: chop(utf8.decode(stdout)) };
  } catch {
    return { output: chop(lossy.decode(stdout)), outputBase64: base64 };
  }
}

/**
 * A command host's batch at the coordinator: `outputLines()` is every job's stdout, in order and exactly as the
 * jobs wrote them (a failed job's too, as local command fan-out writes it); `results()` one record per item.
 */
export class BytesBatch extends ResultBatch {
  constructor(
    indexes: readonly number[],
    inputs: readonly string[],
    items: DistributedItemResult[],
    private readonly bytes: Buffer,
  ) {
    super(indexes, inputs, { results: items });
  }

  // The jobs' own bytes: nothing added, nothing taken off, nothing at all for jobs that printed nothing.
  override outputLines(): Uint8Array {
    return this.bytes;
  }
}
