/**
 * Cutting input into batches for fan-out: items are grouped into chunks as they are read (`chunks`), and each
 * chunk is cut into batches of at most so many items and so many characters (`cutBatch`).
 *
 * Cutting from arrays (one per read of stdin, or per CHUNK items) instead of item by item keeps the per-item
 * cost of a fast stream near zero. Local fan-out (WorkerPool, `map`) and distributed fan-out (the coordinator)
 * cut their input with these same two functions.
 * Try: concur demo fan-out
 */

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
