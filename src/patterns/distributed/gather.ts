/**
 * Gathering input into jobs for distributed fan-out. Lines arrive one read at a time (64 KiB from a file or a
 * pipe), and local fan-out cuts its batches inside each read. A job through Redis costs a dozen round trips
 * whatever its size, so a job of tiny items should carry tens of thousands of lines: many reads' worth.
 * `gather` joins consecutive reads while more input is at hand, up to what the sizer asks for; a read that no
 * other follows within a moment is passed on as it is, so a slow trickle of input still goes out at once.
 * The coordinator (coordinator.ts) cuts jobs from what it gives, as local fan-out cuts batches from reads.
 * Try: concur demo distributed
 */
import type { ItemChunk } from '../fan-out/fan-in.js';

/**
 * The most lines and characters in one batch. Tiny items travel in tens of thousands per job, so BullMQ's own
 * cost per job (a dozen Redis calls) is spread thin; the sizer still starts at one line and grows from the
 * busy times the hosts' pools report, so every host gets work early. A host takes up to 65,536 lines (MAX_JOB_LINES).
 */
export const MAX_BATCH = 65_536;
export const MAX_BATCH_CHARS = 1024 * 1024;
// Characters of input sent and not yet written, at most (besides the 32 batches), as in local fan-out.
export const WINDOW_CHARS = 64 * 1024 * 1024;

/**
 * The batch `inputs`, taken from `chunk` at character `at` of its joined text, as one string: a slice of the
 * input as read when the chunk carries it, the items joined when none holds a newline, undefined otherwise.
 */
export function joinedText(chunk: ItemChunk, at: number, inputs: readonly string[]): string | undefined {
  let chars = inputs.length - 1;
  for (const input of inputs) chars += input.length;
  if (chunk.joined !== undefined) return chunk.joined.slice(at, at + chars);
  for (const input of inputs) if (input.includes('\n')) return undefined;
  return inputs.join('\n');
}

// How long to wait for the next read before sending what is there: long enough for a file's next 64 KiB, short
// enough that a person typing lines sees no delay.
const LINGER_MS = 2;

/**
 * Join consecutive chunks of `source` into chunks of at least `want()` items (or `maxChars` characters) while
 * the next chunk arrives within `lingerMs`; keeps each chunk's `joined` text when every part has one.
 */
export async function* gather(
  source: Iterable<ItemChunk> | AsyncIterable<ItemChunk>,
  want: () => number,
  maxChars: number,
  lingerMs = LINGER_MS,
): AsyncGenerator<ItemChunk, void, undefined> {
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : toAsync(source);
  // One read ahead is always pending: if the run stops first, its failure (if any) must not go unhandled.
  const read = (): Promise<IteratorResult<ItemChunk>> => {
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
      const parts: ItemChunk[] = [first.value];
      let count = first.value.length;
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
        count += step.value.length;
        chars += charsOf(step.value);
      }
      yield merge(parts);
      if (ended) return;
    }
  } finally {
    // Not awaited: with a read pending (stdin waiting for a line), the source cannot return until it ends.
    void iterator.return?.()?.catch(() => {});
  }
}

// The chunk's characters, newlines included: its joined text's length when it has one.
function charsOf(chunk: ItemChunk): number {
  if (chunk.joined !== undefined) return chunk.joined.length;
  let chars = chunk.length;
  for (const item of chunk) chars += item.length;
  return chars;
}

function merge(parts: ItemChunk[]): ItemChunk {
  if (parts.length === 1) return parts[0] as ItemChunk;
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

async function* toAsync(source: Iterable<ItemChunk>): AsyncGenerator<ItemChunk, void, undefined> {
  yield* source;
}
