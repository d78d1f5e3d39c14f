/**
 * Gathering input into jobs for distributed fan-out. Lines arrive one read at a time (64 KiB from a pipe, 1 MiB
 * from a file; as bytes from `concur fan-out`, as arrays of strings from `map`), and local fan-out cuts its
 * batches inside each read. A job through Redis costs a dozen round trips whatever its size, so a job of tiny
 * items should carry tens of thousands of lines: many reads' worth. Both functions here join consecutive reads
 * while more input is at hand, up to what the sizer asks for; a read that no other follows within a moment is
 * passed on as it is, so a slow trickle of input still goes out at once. `gatherLines` (bytes) cuts the job
 * exactly where the wanted lines end, and counts each byte once: the job's line count travels with it. The
 * coordinator (run.ts) cuts jobs from what they give (batches.ts), as local fan-out cuts batches from
 * reads.
 * Try: concur demo distributed
 */
import { cutLines } from '../fan-out/cutter.js';
import type { ItemChunk, LineBytes } from '../fan-out/fan-in.js';

/** Whole lines as bytes (the input's last line perhaps without its \n), and how many. */
export interface LineRun {
  bytes: LineBytes;
  count: number;
}

/** A gathered run of input: strings (from `gather`) or counted bytes (from `gatherLines`). */
export type InputChunk = ItemChunk | LineRun;

/** The input, gathered into runs of up to `want()` lines and `max` characters (or bytes) each. */
export type Gathered = (want: () => number, max: number) => AsyncIterable<InputChunk>;

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
 * Join consecutive chunks of `source` into chunks of at least `want()` items (or `maxChars` characters) while
 * the next chunk arrives within `lingerMs`; keeps each chunk's `joined` text when every part has one.
 */
export async function* gather(
  source: Iterable<ItemChunk> | AsyncIterable<ItemChunk>,
  want: () => number,
  maxChars: number,
  lingerMs = LINGER_MS,
): AsyncGenerator<ItemChunk, void, undefined> {
  const reads = new Reads(source, lingerMs);
  try {
    for (;;) {
      const first = await reads.next();
      if (first === undefined) return;
      const parts: ItemChunk[] = [first];
      let count = first.length;
      let chars = charsOf(first);
      while (count < want() && chars < maxChars) {
        const more = await reads.soon();
        if (more === undefined) break;
        parts.push(more);
        count += more.length;
        chars += charsOf(more);
      }
      yield merge(parts);
    }
  } finally {
    reads.close();
  }
}

/**
 * Join consecutive reads of whole lines (as `wholeLines` in cutter.ts gives them) into runs of exactly
 * `want()` lines, or `maxBytes` bytes (at least one line), while the next read arrives within `lingerMs`. A read
 * is cut where the wanted lines end and the rest starts the next run, so every byte is counted once.
 */
export async function* gatherLines(
  source: Iterable<LineBytes> | AsyncIterable<LineBytes>,
  want: () => number,
  maxBytes: number,
  lingerMs = LINGER_MS,
): AsyncGenerator<LineRun, void, undefined> {
  const reads = new Reads(source, lingerMs);
  // What is left of the last read after the last run's lines.
  let rest: LineBytes | undefined;
  try {
    for (;;) {
      let read = rest ?? (await reads.next());
      if (read === undefined) return;
      const parts: LineBytes[] = [];
      let count = 0;
      let bytes = 0;
      for (;;) {
        const room = maxBytes - bytes;
        const cut = cutLines(read, 0, want() - count, Math.max(1, room));
        // A line that would take the run over its bound starts the next one (a run's first line always fits).
        if (count > 0 && cut.end > room) {
          rest = read;
          break;
        }
        parts.push(read.subarray(0, cut.end));
        count += cut.count;
        bytes += cut.end;
        rest = cut.end < read.length ? read.subarray(cut.end) : undefined;
        if (rest || count >= want() || bytes >= maxBytes) break;
        const more = await reads.soon();
        if (more === undefined) break;
        read = more;
      }
      yield { bytes: parts.length === 1 ? (parts[0] as LineBytes) : Buffer.concat(parts), count };
    }
  } finally {
    reads.close();
  }
}

/**
 * A source's reads, one always asked for ahead: `next()` waits for it, `soon()` only `lingerMs` (else gives
 * undefined and keeps it pending for the next call). Both give undefined at the end.
 */
class Reads<T> {
  private readonly iterator: AsyncIterator<T>;
  private pending: Promise<IteratorResult<T>> | undefined;
  private ended = false;

  constructor(
    source: Iterable<T> | AsyncIterable<T>,
    private readonly lingerMs: number,
  ) {
    this.iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : toAsync(source);
  }

  next(): Promise<T | undefined> {
    return this.take(this.ahead());
  }

  async soon(): Promise<T | undefined> {
    const step = await within(this.ahead(), this.lingerMs);
    return step === undefined ? undefined : this.take(Promise.resolve(step));
  }

  // Not awaited: with a read pending (stdin waiting for a line), the source cannot return until it ends.
  close(): void {
    void this.iterator.return?.()?.catch(() => {});
  }

  private ahead(): Promise<IteratorResult<T>> {
    if (!this.pending) {
      // If the run stops first, this read's failure (if any) must not go unhandled.
      this.pending = this.ended ? Promise.resolve({ done: true, value: undefined }) : this.iterator.next();
      this.pending.catch(() => {});
    }
    return this.pending;
  }

  private async take(step: Promise<IteratorResult<T>>): Promise<T | undefined> {
    const result = await step;
    this.pending = undefined;
    if (result.done) {
      this.ended = true;
      return undefined;
    }
    // The next read is asked for at once, so it is under way while this one is cut and sent.
    this.ahead();
    return result.value;
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

async function* toAsync<T>(source: Iterable<T>): AsyncGenerator<T, void, undefined> {
  yield* source;
}
