/**
 * Gathering input into jobs for distributed fan-out. Lines arrive one read at a time (64 KiB from a pipe, 1 MiB
 * from a file; as bytes from `concur fan-out`, as arrays of strings from `map`), and local fan-out cuts its
 * batches inside each read. A job through Redis costs a dozen round trips
 * whatever its size, so a job of tiny items should carry tens of thousands of lines: many reads' worth.
 * `gather` joins consecutive reads while more input is at hand, up to what the sizer asks for; a read that no
 * other follows within a moment is passed on as it is, so a slow trickle of input still goes out at once.
 * The coordinator (coordinator.ts) cuts jobs from what it gives, as local fan-out cuts batches from reads.
 * Try: concur demo distributed
 */
import { countNewlines } from '../fan-out/cutter.js';
import type { ItemChunk, LineBytes } from '../fan-out/fan-in.js';
import { linesOf } from '../fan-out/protocol.js';

/** A read of input: an array of lines, or the bytes of whole lines (see `wholeLines` in cutter.ts). */
export type InputChunk = ItemChunk | LineBytes;

/**
 * The most lines and characters in one batch. Tiny items travel in tens of thousands per job, so BullMQ's own
 * cost per job (a dozen Redis calls) is spread thin; the sizer still starts at one line and grows from the
 * busy times the hosts' pools report, so every host gets work early. A host takes up to 65,536 lines (MAX_JOB_LINES).
 */
export const MAX_BATCH = 65_536;
export const MAX_BATCH_CHARS = 1024 * 1024;
// Characters of input sent and not yet written, at most (besides the 32 batches), as in local fan-out.
export const WINDOW_CHARS = 64 * 1024 * 1024;

// How long to wait for the next read before sending what is there: long enough for a file's next 64 KiB, short
// enough that a person typing lines sees no delay.
const LINGER_MS = 2;

/**
 * Join consecutive chunks of `source` into chunks of at least `want()` items (or `maxChars` characters, or bytes)
 * while the next chunk arrives within `lingerMs`; keeps each chunk's `joined` text when every part has one, and
 * bytes stay bytes.
 */
export async function* gather<T extends InputChunk>(
  source: Iterable<T> | AsyncIterable<T>,
  want: () => number,
  maxChars: number,
  lingerMs = LINGER_MS,
): AsyncGenerator<T, void, undefined> {
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : toAsync(source);
  // One read ahead is always pending: if the run stops first, its failure (if any) must not go unhandled.
  const read = (): Promise<IteratorResult<T>> => {
    const step = iterator.next();
    step.catch(() => {});
    return step;
  };
  try {
    let next = read();
    for (;;) {
      const first = await next;
      if (first.done) return;
      next = read();
      const parts: T[] = [first.value];
      let count = itemsIn(first.value);
      let chars = charsOf(first.value);
      let ended = false;
      while (count < want() && chars < maxChars) {
        const step = await within(next, lingerMs);
        if (step === undefined) break;
        if (step.done) {
          ended = true;
          break;
        }
        next = read();
        parts.push(step.value);
        count += itemsIn(step.value);
        chars += charsOf(step.value);
      }
      yield merge(parts) as T;
      if (ended) return;
    }
  } finally {
    // Not awaited: with a read pending (stdin waiting for a line), the source cannot return until it ends.
    void iterator.return?.()?.catch(() => {});
  }
}

// The lines of a chunk: of bytes, its newlines, and one more for a last line without one.
function itemsIn(chunk: InputChunk): number {
  if (!Buffer.isBuffer(chunk)) return chunk.length;
  return countNewlines(chunk) + (chunk.length > 0 && chunk[chunk.length - 1] !== 10 ? 1 : 0);
}

// The chunk's characters, newlines included: its joined text's length when it has one; for bytes, its bytes.
function charsOf(chunk: InputChunk): number {
  if (Buffer.isBuffer(chunk)) return chunk.length;
  if (chunk.joined !== undefined) return chunk.joined.length;
  let chars = chunk.length;
  for (const item of chunk) chars += item.length;
  return chars;
}

function merge(parts: InputChunk[]): InputChunk {
  if (parts.length === 1) return parts[0] as InputChunk;
  if (parts.every((part) => Buffer.isBuffer(part))) return Buffer.concat(parts);
  return mergeItems(parts.map((part) => (Buffer.isBuffer(part) ? linesOf(part) : part)));
}

function mergeItems(parts: ItemChunk[]): ItemChunk {
  // A loop, not concat: arrays that carry `joined` are off concat's fast path.
  const items = new Array<string>(parts.reduce((sum, part) => sum + part.length, 0));
  let k = 0;
  for (const part of parts) for (let i = 0; i < part.length; i++) items[k++] = part[i] as string;
  if (!parts.every((part) => part.joined !== undefined)) return items;
  return Object.assign(items, { joined: parts.map((part) => part.joined).join('\n') });
}

// The step if it comes within `ms`, else undefined (the step stays pending, for the next call to take).
function within<T>(step: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([step, late]).finally(() => clearTimeout(timer));
}

async function* toAsync<T>(source: Iterable<T>): AsyncGenerator<T, void, undefined> {
  yield* source;
}
