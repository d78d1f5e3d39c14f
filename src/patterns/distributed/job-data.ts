/**
 * What a worker host trusts of a job: nothing, until checked. Anyone who can write to the queue can put a job
 * there, so a host checks a job's data (`checkBatch`) and, for a `batch-key` job, the key it names and the bytes
 * read from it (`keyProblem`, `withLines`) before its pool sees a line. A job of the wrong shape, too large, or
 * naming a key outside its own run is refused at once with a one-line reason (host.ts), never retried.
 * Try: concur demo distributed
 */
import { countNewlines } from '../fan-out/cutter.js';
import { linesOf } from '../fan-out/protocol.js';

/**
 * The largest batch a host takes: the coordinator sends at most 65,536 lines and 1 MiB, so anything beyond is a
 * job pushed by hand. Refused at once, not run for minutes while other hosts wait on it.
 */
export const MAX_JOB_LINES = 65_536;
export const MAX_JOB_CHARS = 32 * 1024 * 1024;

/**
 * A batch as a host runs it: `count` items numbered from `first`, as the UTF-8 bytes of its lines (each followed
 * by \n) when the job carried them joined or under its key (once read: `withLines`), else as strings. `inputsOf`
 * gives the strings either way.
 */
export interface CheckedBatch {
  run: string;
  first: number;
  count: number;
  bytes?: Buffer;
  inputs?: string[];
  /** A `batch-key` job's key: the host reads the bytes from it (`withLines`) before running the batch. */
  key?: string;
}

/** A checked batch's items as strings: decoded from its bytes the first time they are asked for. */
export function inputsOf(batch: CheckedBatch): string[] {
  batch.inputs ??= linesOf(batch.bytes as Buffer);
  return batch.inputs;
}

/** Job data comes from whoever can write to the queue: the batch if its shape is right, else why not. */
export function checkBatch(data: unknown): CheckedBatch | string {
  const batch = data as Record<string, unknown> | null;
  if (typeof batch === 'object' && batch !== null && batch.type === 'batch-text') return checkText(batch);
  if (typeof batch === 'object' && batch !== null && batch.type === 'batch-key') return checkKey(batch);
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
  return (
    tooLarge(inputs.length, chars) ?? {
      run: batch.run,
      first: batch.first as number,
      count: inputs.length,
      inputs,
    }
  );
}

// A `batch-text` job: the size is checked before the text is encoded, and its lines must be `count`. The text
// goes to the pool as bytes, never split into strings here: the pool's workers split it (or take it whole).
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
  const bytes = encode(`${text}\n`);
  const lines = countNewlines(bytes);
  if (lines !== count)
    return `malformed batch: its text holds ${lines} lines, its count says ${String(count)}`;
  return { run, first: first as number, count, bytes };
}

// TextEncoder, not Buffer.from: about four times faster on the megabyte strings of a job.
const encoder = new TextEncoder();
function encode(text: string): Buffer {
  const bytes = encoder.encode(text);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

// A `batch-key` job: its shape and count here; its key and its bytes once read (`withLines`).
function checkKey(batch: Record<string, unknown>): CheckedBatch | string {
  const { run, first, count, key } = batch;
  if (
    typeof run !== 'string' ||
    !Number.isSafeInteger(first) ||
    !Number.isSafeInteger(count) ||
    (count as number) < 1 ||
    typeof key !== 'string'
  )
    return 'malformed batch: expected {type: "batch-key", run, first, count, key}';
  return tooLarge(count as number, 0) ?? { run, first: first as number, count: count as number, key };
}

/**
 * Why a `batch-key` job's key may not be read, or undefined: it must be one of its own run's batch keys
 * (`runKey` is the run's key), so a job pushed by hand cannot make a host read any other key.
 */
export function keyProblem(batch: CheckedBatch, runKey: string): string | undefined {
  if (
    batch.key !== undefined &&
    /^\d+$/.test(batch.key.slice(`${runKey}:batch:`.length)) &&
    batch.key.startsWith(`${runKey}:batch:`)
  )
    return undefined;
  return `malformed batch: its key is not one of run ${batch.run}'s batch keys`;
}

/**
 * A `batch-key` batch with the bytes read from its key (`lines`, from store.ts `takeBatch`): the batch ready to
 * run, or why not.
 */
export function withLines(batch: CheckedBatch, lines: Buffer | number | undefined): CheckedBatch | string {
  if (lines === undefined)
    return "the batch's lines are gone from the broker (its run is over, or it was answered)";
  if (typeof lines === 'number')
    return `batch too large: ${lines} bytes (a host takes at most ${MAX_JOB_LINES} lines and ${MAX_JOB_CHARS} bytes)`;
  const newlines = countNewlines(lines);
  if (newlines !== batch.count || lines[lines.length - 1] !== 10)
    return `malformed batch: its key holds ${newlines} line${newlines === 1 ? '' : 's'}, its count says ${batch.count}`;
  return { run: batch.run, first: batch.first, count: batch.count, bytes: lines };
}

function tooLarge(lines: number, chars: number): string | undefined {
  if (lines > MAX_JOB_LINES || chars > MAX_JOB_CHARS)
    return `batch too large: ${lines} lines, ${chars} characters (a host takes at most ${MAX_JOB_LINES} lines and ${MAX_JOB_CHARS} characters)`;
  return undefined;
}
