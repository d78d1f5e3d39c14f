/**
 * Cutting distributed fan-out's jobs from what gather.ts gives: a run of input lines, as bytes (`concur fan-out
 * --broker` reading stdin) or as strings (`map`). Bytes are cut where lines end and sent as they are, never
 * decoded here (`batch-key` in protocol.ts). Strings travel joined in one string (`batch-text`): a slice of the
 * text they were split from when the read has it. Only items that hold a newline (given to `map`) travel as an
 * array. Local fan-out cuts its batches the same way (fan-in.ts), with the same cutters.
 * Try: seq 100000 | concur fan-out --broker redis://127.0.0.1:6379
 */
import { cutBatch, cutLines } from '../fan-out/cutter.js';
import type { ItemChunk } from '../fan-out/fan-in.js';
import type { LineRun } from './gather.js';

/** One job's lines: how many, as bytes, as their text joined with '\n', or as strings; and their size. */
export interface CutBatch {
  count: number;
  /** The lines as read, each ending in \n (the input's last line is given one). */
  bytes?: Buffer;
  text?: string;
  /** The items as strings, when the input came as strings. */
  inputs?: readonly string[];
  /** Characters (or bytes) of input the job holds, for the window's bound. */
  chars: number;
}

/** The batches of one gathered chunk, cut one at a time, each as large as the sizer says when it is cut. */
export interface ChunkBatches {
  more(): boolean;
  next(size: number, maxChars: number): CutBatch;
}

/**
 * Batches of whole lines of bytes: views of the run, cut where a line ends. A run that fits whole (as gatherLines
 * cuts them, it nearly always does) is one batch, with the count it came with and no second look at its bytes.
 */
export function byteBatches(run: LineRun): ChunkBatches {
  const { bytes: chunk } = run;
  let start = 0;
  return {
    more: () => start < chunk.length,
    next: (size, maxBytes) => {
      const whole = start === 0 && run.count <= size && chunk.length <= maxBytes;
      const { end, count } = whole
        ? { end: chunk.length, count: run.count }
        : cutLines(chunk, start, size, maxBytes);
      let bytes = chunk.subarray(start, end);
      // The input's last line, without a newline: given one, so that every line of a batch ends alike.
      if (chunk[end - 1] !== 10) bytes = Buffer.concat([bytes, NEWLINE]);
      start = end;
      return { count, bytes, chars: bytes.length };
    },
  };
}

const NEWLINE = Buffer.from('\n');

/** Batches of a chunk of strings: slices of the text they were split from, when the chunk has it. */
export function stringBatches(chunk: ItemChunk): ChunkBatches {
  let start = 0;
  let at = 0; // where the next batch starts in chunk.joined
  return {
    more: () => start < chunk.length,
    next: (size, maxChars) => {
      // All that is left of a chunk fits: the rest of its text is the batch, with no look at each line.
      const whole = start === 0 && chunk.length <= size && (chunk.joined?.length ?? Infinity) <= maxChars;
      const end = whole ? chunk.length : cutBatch(chunk, start, size, maxChars, (line) => line.length);
      const inputs = whole ? chunk : chunk.slice(start, end);
      start = end;
      const text = whole ? chunk.joined : joinedText(chunk, at, inputs);
      at += (text?.length ?? 0) + 1;
      let chars = text?.length ?? 0;
      if (text === undefined) for (const input of inputs) chars += input.length + 1;
      return { count: inputs.length, text, inputs, chars };
    },
  };
}

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
