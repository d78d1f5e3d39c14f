/**
 * What fan-out gives back: one ItemResult per item, delivered a ResultBatch at a time.
 *
 * A batch's answers cross the process boundary as columns (outputs, plus the few failures) or, on the fast path,
 * as one joined string; ItemResult objects are made only when someone asks for them, so a stream of tiny items
 * that all succeed costs one string per batch, not one object per item. Local and distributed fan-out deliver
 * the same ResultBatch.
 * Try: concur demo fan-out
 */
import { BatchItems } from './batch-items.js';
import { linesOf, type ItemFailure } from './protocol.js';

/** What happened to one item. Exactly one of `output` and `error` is set. */
export interface ItemResult {
  /** Position of the item in the input, from 0. */
  index: number;
  input: string;
  /** The worker's answer. */
  output?: string;
  /** Why the item failed: the worker threw, returned a non-string, or died on it `retries + 1` times. */
  error?: string;
  /** The pool slot that ran it, from 1 (a replacement keeps the slot number of the worker it replaces). */
  worker: number;
  /** The process that ran it. */
  pid: number;
  /** How many times it was run: 1, plus one for each worker that died while running it. */
  attempts: number;
}

/** Who ran a batch: pool slot, process, and how many times it was started. */
export interface RanBy {
  worker: number;
  pid: number;
  attempts: number;
}

/** How a batch's answers crossed: item by item, the outputs joined with '\n', or as the bytes to write. */
export type BatchAnswer =
  { results: ItemResult[] } | ({ text: string } & RanBy) | ({ bytes: Uint8Array } & RanBy);

/**
 * The answers for one batch, as they crossed the process boundary. ItemResult objects are made only when asked
 * for: a stream of tiny items that all succeed is passed on as one joined string (or its bytes), with nothing
 * per item.
 */
export class ResultBatch {
  private items: ItemResult[] | undefined;
  private readonly joined: ({ text: string } & RanBy) | undefined;
  private readonly written: ({ bytes: Uint8Array } & RanBy) | undefined;
  /** The items the batch was made of (their indexes and inputs). */
  readonly of: BatchItems;
  /** How many items of the batch failed. */
  readonly failed: number;

  /**
   * @internal Built by the pool from a worker's answer: for `items` (or for `indexes` and their `inputs`, in
   * the same order).
   */
  constructor(items: BatchItems, answer: BatchAnswer);
  constructor(indexes: readonly number[], inputs: readonly string[], answer: BatchAnswer);
  constructor(
    items: BatchItems | readonly number[],
    inputsOrAnswer: readonly string[] | BatchAnswer,
    answer?: BatchAnswer,
  ) {
    this.of = items instanceof BatchItems ? items : BatchItems.of(items, inputsOrAnswer as readonly string[]);
    const given = (answer ?? inputsOrAnswer) as BatchAnswer;
    this.failed = 0;
    if ('results' in given) {
      this.items = given.results;
      this.failed = given.results.reduce((sum, result) => sum + (result.error === undefined ? 0 : 1), 0);
    } else if ('text' in given) this.joined = given;
    else this.written = given;
  }

  /** Number of items in the batch. */
  get length(): number {
    return this.of.length;
  }

  /** Position of each item in the input. */
  get indexes(): readonly number[] {
    return this.of.indexes;
  }

  /** The items' input text. */
  get inputs(): readonly string[] {
    return this.of.inputs;
  }

  /** Who ran the whole batch, when it traveled joined or as bytes (every item by one worker); else undefined. */
  get ranBy(): RanBy | undefined {
    const whole = this.joined ?? this.written;
    if (!whole) return undefined;
    const { worker, pid, attempts } = whole;
    return { worker, pid, attempts };
  }

  /** The outputs of the items that succeeded, joined with '\n' (no trailing newline). */
  outputText(): string {
    if (this.joined) return this.joined.text;
    if (this.written) return linesOf(this.written.bytes).join('\n');
    return this.results()
      .filter((result) => result.error === undefined)
      .map((result) => result.output)
      .join('\n');
  }

  /**
   * The outputs of the items that succeeded, each followed by '\n', ready to write: the worker's own bytes
   * when it sent them, with no copy. Empty when no item succeeded.
   */
  outputLines(): string | Uint8Array {
    if (this.written) return this.written.bytes;
    const text = this.outputText();
    return this.length - this.failed > 0 ? `${text}\n` : '';
  }

  /** One ItemResult per item, in the batch's order. */
  results(): ItemResult[] {
    if (this.items) return this.items;
    const answer = (this.joined ?? this.written) as RanBy;
    const { worker, pid, attempts } = answer;
    const outputs = this.joined
      ? this.joined.text.split('\n')
      : linesOf((this.written as { bytes: Uint8Array }).bytes);
    const { indexes } = this.of;
    this.items = this.of.inputs.map((input, i) => ({
      index: indexes[i] as number,
      input,
      output: outputs[i] as string,
      worker,
      pid,
      attempts,
    }));
    return this.items;
  }
}

/**
 * One ItemResult per item of a worker's `results` answer: the output, or the failure's message where the
 * worker reported one. `outputs` and `failures` are the message's columns, in the batch's order.
 */
export function itemResults(
  indexes: readonly number[],
  inputs: readonly string[],
  answer: { outputs: readonly (string | null)[]; failures: readonly ItemFailure[] },
  ranBy: RanBy,
): ItemResult[] {
  const results = inputs.map((input, i): ItemResult => ({
    index: indexes[i] as number,
    input,
    output: answer.outputs[i] ?? undefined,
    worker: ranBy.worker,
    pid: ranBy.pid,
    attempts: ranBy.attempts,
  }));
  for (const failure of answer.failures) {
    const result = results[failure.offset];
    if (result) {
      delete result.output;
      result.error = failure.message;
    }
  }
  return results;
}
