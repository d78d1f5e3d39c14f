/**
 * The bytes path of a pipeline stage (stage.child.ts), for a module that exports `chunk` (src/modules/README.md):
 * each batch of whole lines goes to it as the bytes read, with no string per line, and what it answers is
 * written as it is. Only the lines are counted, for the statistics and for the line number of a failure.
 * A batch holding invalid UTF-8 never comes here: it is decoded, line by line, so that it becomes U+FFFD.
 * Try: concur pipeline --stage identity --stage upper < file
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isThenable, type ChunkFunction, type ChunkResult } from '../../modules/contract.js';
import type { ChunkOutput } from './stage-output.js';
import type { StageStats } from './protocol.js';

/** How the stage names a failure of its code on line `line` (1-based), whose text is `text`. */
export type FailureOf = (line: number, text: string, cause: unknown) => unknown;

/**
 * Run `chunk` on `bytes` (whole lines, each ending in \n), count its lines in and queue its answer on
 * `output`. Synchronous unless `chunk` answers with a promise. A throw, a rejection or an answer that is not
 * whole lines is thrown as `failure` on the batch's first line.
 */
export function runBytes(
  chunk: ChunkFunction,
  bytes: Buffer,
  stats: StageStats,
  output: ChunkOutput,
  failure: FailureOf,
): void | Promise<void> {
  collectNow(bytes.length);
  const first = stats.linesIn + 1;
  const count = countNewlines(bytes);
  stats.linesIn += count;
  const failed = (cause: unknown): unknown => failure(first, firstLine(bytes), cause);
  let result: ReturnType<ChunkFunction>;
  try {
    result = chunk(bytes);
  } catch (error) {
    throw failed(error);
  }
  if (result === bytes) return output.add(bytes, count);
  if (!isThenable(result)) return add(result);
  return Promise.resolve(result).then(add, (error: unknown) => {
    throw failed(error);
  });

  // The answer, checked: bytes or text of whole lines, each ending in \n (or nothing).
  function add(answer: ChunkResult): void {
    if (answer === null || answer === undefined) return;
    if (answer === bytes) return output.add(bytes, count);
    const out =
      typeof answer === 'string'
        ? Buffer.from(answer)
        : answer instanceof Uint8Array
          ? Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength)
          : undefined;
    if (out === undefined)
      throw failed(new TypeError(`chunk() must return a Buffer, a string or null; got ${typeof answer}`));
    if (out.length > 0 && out[out.length - 1] !== 10)
      throw failed(new TypeError('chunk() must return whole lines, each ending in \\n'));
    output.add(out, countNewlines(out));
  }
}

// Each read gives a new Buffer whose bytes live outside V8's heap until V8 collects the Buffer. On the bytes
// path a stage makes almost no objects, so V8 would not collect until those bytes reach its 64 MB external
// limit: a stage's memory would rise by 30 MB on a long input. A young-generation collection every 4 MB read
// (well under a millisecond: nearly everything in it is dead; no measurable CPU) keeps it flat.
const COLLECT_EVERY = 4 << 20;
let sinceCollect = 0;
let minorGc: ((options: { type: 'minor' }) => void) | undefined | null;
function collectNow(bytes: number): void {
  sinceCollect += bytes;
  if (sinceCollect < COLLECT_EVERY) return;
  sinceCollect = 0;
  if (minorGc === undefined) {
    // The collector function of a fresh context: the user's module never sees a global gc().
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('typeof gc === "function" ? gc : null');
    minorGc = typeof gc === 'function' ? (gc as (options: { type: 'minor' }) => void) : null;
  }
  minorGc?.({ type: 'minor' });
}

// The batch's first line, as text for the failure message (its first 240 bytes are enough for the excerpt).
function firstLine(bytes: Buffer): string {
  const end = bytes.indexOf(10);
  return bytes.toString('utf8', 0, Math.min(end < 0 ? bytes.length : end, 240));
}

/**
 * How many \n `bytes` holds: the lines of a batch taken as bytes, for the statistics. Four bytes per step: xor
 * with \n\n\n\n, then an exact zero-byte test sets bit 0 of each byte that was \n; sixteen bytes per iteration
 * add into four byte-wide counters, summed before they can overflow. A loop over bytes would cost 4× more.
 */
export function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  let i = 0;
  // Bytes before the first 4-aligned one (typed arrays must be aligned); a short batch is all such bytes.
  const skip = (4 - (bytes.byteOffset & 3)) & 3;
  if (bytes.length < skip + 4) {
    for (; i < bytes.length; i++) if (bytes[i] === 10) count++;
    return count;
  }
  for (; i < skip; i++) if (bytes[i] === 10) count++;
  // Int32, not Uint32: the values stay small integers, so V8 keeps the arithmetic in 32-bit registers.
  const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, (bytes.length - i) >>> 2);
  const n = words.length;
  let w = 0;
  while (w + 4 <= n) {
    const stop = Math.min(n - 3, w + 240); // 60 rounds: at most 240 per byte-wide counter
    let sums = 0;
    for (; w < stop; w += 4)
      sums =
        (sums +
          newlineBits((words[w] as number) ^ 0x0a0a0a0a) +
          newlineBits((words[w + 1] as number) ^ 0x0a0a0a0a) +
          newlineBits((words[w + 2] as number) ^ 0x0a0a0a0a) +
          newlineBits((words[w + 3] as number) ^ 0x0a0a0a0a)) |
        0;
    count += (sums & 0xff) + ((sums >>> 8) & 0xff) + ((sums >>> 16) & 0xff) + (sums >>> 24);
  }
  for (; w < n; w++) count += Math.imul(newlineBits((words[w] as number) ^ 0x0a0a0a0a), 0x01010101) >>> 24;
  for (i += n * 4; i < bytes.length; i++) if (bytes[i] === 10) count++;
  return count;
}

// Bit 0 of each byte of `x` that is zero, and no other bit (no borrow crosses bytes, unlike `x - 0x01010101`).
function newlineBits(x: number): number {
  return (~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | 0 | x | 0x7f7f7f7f) >>> 7) & 0x01010101;
}
