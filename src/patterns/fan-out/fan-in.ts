/**
 * Fan-in for a stream: read chunks of items, cut them into batches, hand each batch to a runner (the worker
 * pool), and give the answers back one batch at a time, in input order or as they finish. A chunk is an array
 * of strings, or the bytes of whole lines (`concur fan-out` reading stdin): those are cut into batches where
 * lines end and sent as bytes, never split into strings here.
 *
 * Two loops share the ordered window: a producer that reads the source only while the window has room, and
 * the consumer (the caller's `for await`) that takes delivered batches out. Reading stops while the window is
 * full, so memory stays bounded however long the stream; breaking off the loop stops the reading too.
 * From Python's Pool.imap / imap_unordered with a chunksize.
 * Try: concur demo fan-out
 */
import { BatchItems } from './batch-items.js';
import { cutBatch, cutLines } from './cutter.js';
import type { ResultBatch } from './results.js';
import type { BatchSizer } from './sizer.js';
import { OrderedWindow } from './window.js';

/** How `stream` and `map` deliver results. */
export interface StreamOptions {
  /** Deliver results in input order (default), or as soon as each batch finishes. */
  ordered?: boolean;
  /** Batches sent but not yet delivered, at most (the reorder buffer's bound; default 16 per worker). */
  window?: number;
}

/** Who runs the batches of a stream, and how the stream delivers them. */
export interface BatchRunner {
  ordered: boolean;
  /** Batches sent but not yet delivered, at most. */
  window: number;
  /** Largest batch in characters of input (a batch still takes at least one item). */
  maxBatchChars: number;
  /** Largest batch of lines read as bytes, in bytes (a batch still takes at least one line). */
  maxBatchBytes: number;
  /** Run one batch; resolves once every item has an answer. */
  submit(items: BatchItems): Promise<ResultBatch>;
}

/**
 * A chunk of items, as lineChunks (src/modules/lines.ts) yields them: `joined` is the text they were split
 * from, so a batch of consecutive lines can travel as a slice of it, with no join.
 */
export type ItemChunk = readonly string[] & { joined?: string };

/** Whole lines as bytes, each ending in \n but perhaps the last of the input (see `wholeLines` in cutter.ts). */
export type LineBytes = Buffer;

// Outstanding input, in characters, that a stream will buffer before it stops reading (besides `window`).
const WINDOW_CHARS = 64 * 1024 * 1024;

/**
 * Fan a stream of item chunks out through `runner` and fan the results back in, one delivered batch at a time.
 * Items are numbered from 0 across chunks; batch sizes come from `sizer`, which the runner teaches.
 */
export async function* fanIn(
  source: AsyncIterable<ItemChunk | LineBytes> | Iterable<ItemChunk | LineBytes>,
  sizer: BatchSizer,
  runner: BatchRunner,
): AsyncGenerator<ResultBatch, void, undefined> {
  const { ordered } = runner;
  // An outcome waits in the window until its turn; in order, even a failure waits for the batches before it.
  const window = new OrderedWindow<{ batch: ResultBatch } | { error: unknown }>({
    ordered,
    maxBatches: runner.window,
    maxChars: WINDOW_CHARS,
  });
  let producerDone = false;
  let stopped = false;
  let error: unknown;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const consumerWake = (): void => {
    wakeConsumer?.();
    wakeConsumer = undefined;
  };

  const produce = async (): Promise<void> => {
    let index = 0;
    for await (const chunk of source) {
      const batches = Buffer.isBuffer(chunk) ? byteBatches(chunk) : stringBatches(chunk);
      while (batches.more()) {
        while (!stopped && window.full) await new Promise<void>((resolve) => (wakeProducer = resolve));
        if (stopped) return;
        const { items, chars } = batches.next(index, sizer.next(), runner);
        index += items.length;
        const seq = window.add(chars);
        runner.submit(items).then(
          (batch) => {
            window.settle(seq, { batch });
            consumerWake();
          },
          (reason: unknown) => {
            // Ordered: thrown by the consumer when its turn comes. Unordered: thrown at once.
            if (ordered) window.settle(seq, { error: reason });
            else error ??= reason;
            consumerWake();
          },
        );
      }
    }
  };
  void produce().then(
    () => {
      producerDone = true;
      consumerWake();
    },
    (reason: unknown) => {
      error ??= reason;
      producerDone = true;
      consumerWake();
    },
  );

  try {
    for (;;) {
      if (error !== undefined) throw error;
      const next = window.take();
      if (next) {
        if ('error' in next) throw next.error;
        wakeProducer?.();
        wakeProducer = undefined;
        yield next.batch;
        continue;
      }
      if (producerDone && window.outstanding === 0) break;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
    }
  } finally {
    // Broken off early (or failed): let the producer stop reading its source.
    stopped = true;
    wakeProducer?.();
  }
}

/** The batches of one chunk, cut one at a time (each as large as the sizer says when it is cut). */
type BatchLimits = Pick<BatchRunner, 'maxBatchChars' | 'maxBatchBytes'>;

interface ChunkBatches {
  more(): boolean;
  /** The next batch, its first item numbered `first`, and its size in characters (or bytes). */
  next(first: number, size: number, limits: BatchLimits): { items: BatchItems; chars: number };
}

// Batches of a chunk of strings: slices of the text they were split from, when the chunk has it.
function stringBatches(chunk: ItemChunk): ChunkBatches {
  const { joined } = chunk;
  let start = 0;
  let at = 0; // where the next batch starts in `joined`
  const more = (): boolean => start < chunk.length;
  const next: ChunkBatches['next'] = (first, size, { maxBatchChars }) => {
    const end = cutBatch(chunk, start, size, maxBatchChars, (line) => line.length);
    const inputs = chunk.slice(start, end);
    let chars = 0;
    const indexes = new Array<number>(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      chars += (inputs[i] as string).length;
      indexes[i] = first + i;
    }
    start = end;
    let text: string | undefined;
    if (joined !== undefined) {
      text = joined.slice(at, at + chars + inputs.length - 1);
      at += chars + inputs.length;
    }
    return { items: BatchItems.of(indexes, inputs, text), chars };
  };
  return { more, next };
}

// Batches of whole lines of bytes: views of the chunk, cut where a line ends.
function byteBatches(chunk: LineBytes): ChunkBatches {
  let start = 0;
  const more = (): boolean => start < chunk.length;
  const next: ChunkBatches['next'] = (first, size, { maxBatchBytes }) => {
    const { end, count } = cutLines(chunk, start, size, maxBatchBytes);
    const bytes = chunk.subarray(start, end);
    start = end;
    return { items: BatchItems.lines(first, count, bytes), chars: bytes.length };
  };
  return { more, next };
}
