/**
 * The items of one fan-out batch, as the pool holds them while the batch is out: lists of strings (what `run`
 * and `map` are given), or the bytes of whole lines exactly as they were read (what `concur fan-out` reads
 * from stdin). A batch of bytes is never split into line strings in the pool: the worker splits it, and the
 * pool decodes it only when it needs an item's text (a failure to report, a crash to recover from).
 * Try: seq 1000000 | concur fan-out -j 2
 */
import { linesOf } from './protocol.js';

/** The items of a batch: their input indexes, their text, and how they travel to a worker. */
export class BatchItems {
  private indexList: readonly number[] | undefined;
  private inputList: readonly string[] | undefined;

  private constructor(
    /** Number of items. */
    readonly length: number,
    private readonly first: number,
    /** The UTF-8 bytes of the lines, each ending in \n (the last perhaps not): the batch as read. */
    readonly bytes: Buffer | undefined,
    /** The items joined with '\n', when none of them holds a newline (so the worker can split it back). */
    readonly text: string | undefined,
  ) {}

  /** Items given as strings; `text` is them joined with '\n' when the caller already has it (a slice of input). */
  static of(indexes: readonly number[], inputs: readonly string[], text?: string): BatchItems {
    let plain = text !== undefined;
    if (!plain) {
      plain = true;
      for (const input of inputs)
        if (input.includes('\n')) {
          plain = false;
          break;
        }
    }
    const joined = plain ? (text ?? inputs.join('\n')) : undefined;
    const items = new BatchItems(inputs.length, indexes[0] ?? 0, undefined, joined);
    items.indexList = indexes;
    items.inputList = inputs;
    return items;
  }

  /**
   * `count` items numbered from `first`, as the bytes of their lines or their text joined with '\n' when the caller
   * has them (a distributed job that carried them), else as the strings `inputs` gives: no array of indexes, and
   * no split, until asked for.
   */
  static joined(batch: {
    first: number;
    count: number;
    bytes?: Buffer | undefined;
    text?: string | undefined;
    inputs: readonly string[];
  }): BatchItems {
    const { first, count, bytes, text } = batch;
    if (bytes) return BatchItems.lines(first, count, bytes);
    if (text === undefined)
      return BatchItems.of(
        Array.from({ length: count }, (_, i) => first + i),
        batch.inputs,
      );
    return new BatchItems(count, first, undefined, text);
  }

  /** `count` lines numbered from `first`, as the bytes they were read as (see `lines` in cutter.ts). */
  static lines(first: number, count: number, bytes: Buffer): BatchItems {
    return new BatchItems(count, first, bytes, undefined);
  }

  /** Index of each item in the input. */
  get indexes(): readonly number[] {
    this.indexList ??= Array.from({ length: this.length }, (_, i) => this.first + i);
    return this.indexList;
  }

  /** The items' text: for bytes, decoded here exactly as the worker decodes them; for joined text, split. */
  get inputs(): readonly string[] {
    this.inputList ??= this.bytes ? linesOf(this.bytes) : (this.text as string).split('\n');
    return this.inputList;
  }

  /** One batch per item, in order: a batch whose worker died is re-run an item at a time. */
  split(): BatchItems[] {
    const { bytes } = this;
    if (!bytes) return this.inputs.map((input, i) => BatchItems.of([this.indexes[i] as number], [input]));
    const singles: BatchItems[] = [];
    for (let start = 0, i = 0; start < bytes.length; i++) {
      const newline = bytes.indexOf(10, start);
      const end = newline < 0 ? bytes.length : newline + 1;
      singles.push(BatchItems.lines(this.first + i, 1, bytes.subarray(start, end)));
      start = end;
    }
    return singles;
  }
}
