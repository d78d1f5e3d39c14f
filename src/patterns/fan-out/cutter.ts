/**
 * Cutting input into batches for fan-out: items are grouped into chunks as they are read (`chunks`), and each
 * chunk is cut into batches of at most so many items and so many characters (`cutBatch`). Lines read as bytes
 * are cut the same way without becoming strings: `wholeLines` gives the bytes of whole lines per read, and
 * `cutLines` where a batch of them ends.
 *
 * Cutting from arrays (one per read of stdin, or per CHUNK items) instead of item by item keeps the per-item
 * cost of a fast stream near zero; cutting bytes keeps it to one comparison per byte. Local fan-out
 * (WorkerPool, `map`) and distributed fan-out (the coordinator) cut their input with these same functions.
 * Try: seq 1000000 | concur fan-out -j 2
 */
import type { LineCount } from '../../modules/lines.js';

/** Items per chunk when single items are grouped by `chunks`. */
export const CHUNK = 4096;

/**
 * Where a batch starting at `start` ends: at most `size` items, and no more than `maxChars` characters, except
 * that a batch always takes at least one item, however long. Returns the end index (exclusive).
 */
export function cutBatch<T>(
  items: readonly T[],
  start: number,
  size: number,
  maxChars: number,
  length: (item: T) => number,
): number {
  let end = start;
  let chars = 0;
  const limit = Math.min(items.length, start + size);
  while (end < limit) {
    chars += length(items[end] as T);
    if (chars > maxChars && end > start) break;
    end++;
  }
  return end;
}

/**
 * Group single items into chunks. A sync iterable is cut every `size` items; an async one also at the end of
 * each turn of the event loop, so a slow trickle of items is sent on at once instead of waiting to fill a chunk.
 */
export async function* chunks(
  items: AsyncIterable<string> | Iterable<string>,
  size = CHUNK,
): AsyncGenerator<string[]> {
  if (Symbol.iterator in items) {
    let chunk: string[] = [];
    for (const item of items) {
      chunk.push(item);
      if (chunk.length === size) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
    return;
  }
  const iterator = items[Symbol.asyncIterator]();
  const turnEnded = Symbol('turn ended');
  let chunk: string[] = [];
  let turn: Promise<typeof turnEnded> | undefined;
  for (;;) {
    const next = iterator.next();
    turn ??= new Promise((resolve) => setImmediate(() => resolve(turnEnded)));
    let step = await Promise.race([next, turn]);
    if (step === turnEnded) {
      if (chunk.length > 0) yield chunk;
      chunk = [];
      turn = undefined;
      step = await next;
    }
    if (step.done) break;
    chunk.push(step.value);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
      turn = undefined;
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Where a batch of lines starting at byte `start` of `bytes` ends: after at most `size` lines and `maxBytes`
 * bytes, except that a batch always takes at least one line, however long. Every line ends in \n except
 * perhaps the last of `bytes` (the input's last line). Returns the end offset (exclusive) and the line count.
 */
export function cutLines(
  bytes: Uint8Array,
  start: number,
  size: number,
  maxBytes: number,
): { end: number; count: number } {
  const stop = Math.min(bytes.length, start + maxBytes);
  let count = 0;
  let i = start;
  // Four bytes at a time while the batch cannot fill up inside the next four: counting is the one thing done
  // per byte in the pool, and a word at a time costs about a third of a byte at a time.
  const aligned = Math.min(stop, start + ((4 - ((bytes.byteOffset + start) & 3)) & 3));
  for (; i < aligned; i++) if (bytes[i] === 10 && ++count === size) return { end: i + 1, count };
  const words = (stop - i) >>> 2;
  if (words > 0 && count + 4 < size) {
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
    let w = 0;
    for (; w < words && count + 4 < size; w++) count += newlinesIn(view[w] as number);
    i += w * 4;
  }
  for (; i < stop; i++) if (bytes[i] === 10 && ++count === size) return { end: i + 1, count };
  const last = count > 0 ? bytes.lastIndexOf(10, stop - 1) : -1;
  // At the end of the input, what follows the last \n is its last line, without one.
  if (stop === bytes.length && last < stop - 1) return { end: stop, count: count + 1 };
  if (count > 0) return { end: last + 1, count };
  const newline = bytes.indexOf(10, stop);
  return { end: newline < 0 ? bytes.length : newline + 1, count: 1 };
}

// How many of the four bytes of `word` are \n: each becomes a zero byte, whose high bit the sum leaves clear.
function newlinesIn(word: number): number {
  const x = word ^ 0x0a0a0a0a;
  const zeros = ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x) & 0x80808080;
  return zeros === 0 ? 0 : Math.imul(zeros >>> 7, 0x01010101) >>> 24;
}

/** How many \n bytes `bytes` holds: four bytes at a time, as cutLines counts. */
export function countNewlines(bytes: Uint8Array): number {
  return cutLines(bytes, 0, Infinity, bytes.length).count - (bytes[bytes.length - 1] === 10 ? 0 : 1);
}

/**
 * The bytes of `stream` in chunks of whole lines, one per read (a line longer than a read waits for its end):
 * each ends in \n, except a last line without one, which comes alone at the end. Nothing is decoded. `count`,
 * when given, is kept up to date for a progress display.
 */
export async function* wholeLines(
  stream: AsyncIterable<Uint8Array>,
  count?: LineCount,
): AsyncGenerator<Buffer> {
  // Bytes after the last \n so far: a line that later reads finish (joined once, so a long line is O(n)).
  let carry: Buffer[] = [];
  for await (const read of stream) {
    const chunk = Buffer.isBuffer(read) ? read : Buffer.from(read.buffer, read.byteOffset, read.byteLength);
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      if (chunk.length > 0) carry.push(chunk);
      continue;
    }
    const lines =
      carry.length === 0
        ? chunk.subarray(0, last + 1)
        : Buffer.concat([...carry, chunk.subarray(0, last + 1)]);
    carry = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
    if (count) count.lines += countNewlines(lines);
    yield lines;
  }
  if (carry.length > 0) {
    if (count) count.lines++;
    yield carry.length === 1 ? (carry[0] as Buffer) : Buffer.concat(carry);
  }
  if (count) count.ended = true;
}
