/**
 * The ordered window of fan-out: the batches sent and not yet delivered, handed back in input order (a reorder
 * buffer) or as they finish, and a bound on how many (and how many characters) may be out at once.
 *
 * Fan-in in order means a finished batch waits for every batch before it; without a bound, one slow batch
 * would let the rest of the input pile up in memory. With it, reading stops while the window is full, so memory
 * stays flat however long the stream. Local fan-out (WorkerPool.stream) and distributed fan-out (the
 * coordinator) deliver through this same class. From Python's Pool.imap / imap_unordered.
 * Try: concur demo fan-out
 */

/** How a window delivers and how much it holds. */
export interface WindowOptions {
  /** Deliver in the order batches were added (default), or in the order they settle. */
  ordered?: boolean;
  /** Batches added and not yet taken, at most (before `full` is true). */
  maxBatches: number;
  /** Characters of input added and not yet taken, at most (default: no limit). */
  maxChars?: number;
}

/**
 * Numbers batches as they are sent (`add`), holds their outcomes as they settle (`settle`), and gives them back
 * in delivery order (`take`). A batch counts against the bound from `add` until it is taken.
 */
export class OrderedWindow<T> {
  readonly ordered: boolean;
  readonly maxBatches: number;
  readonly maxChars: number;
  // Per batch not yet taken: its characters; and the outcomes of those that have settled.
  private readonly pending = new Map<number, number>();
  private readonly settled = new Map<number, T>();
  // Unordered: settled batches in the order they settled.
  private readonly arrivals: number[] = [];
  private nextSeq = 0;
  private nextOut = 0;
  private chars = 0;

  constructor(options: WindowOptions) {
    this.ordered = options.ordered ?? true;
    this.maxBatches = options.maxBatches;
    this.maxChars = options.maxChars ?? Infinity;
  }

  /** Batches added and not yet taken. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** Characters of those batches. */
  get outstandingChars(): number {
    return this.chars;
  }

  /** No room for another batch: the producer should wait for a `take`. */
  get full(): boolean {
    return this.pending.size >= this.maxBatches || this.chars >= this.maxChars;
  }

  /** A batch is sent: its sequence number (0, 1, 2, … in order of adding). */
  add(chars = 0): number {
    const seq = this.nextSeq++;
    this.pending.set(seq, chars);
    this.chars += chars;
    return seq;
  }

  /** Batch `seq` has finished with `outcome`. A second settle of the same batch, or of an unknown one, is ignored. */
  settle(seq: number, outcome: T): void {
    if (!this.pending.has(seq) || this.settled.has(seq)) return;
    this.settled.set(seq, outcome);
    if (!this.ordered) this.arrivals.push(seq);
  }

  /** The next outcome to deliver, or undefined if it has not settled yet. Taking it frees its room. */
  take(): T | undefined {
    const seq = this.ordered ? this.nextOut : this.arrivals[0];
    if (seq === undefined || !this.settled.has(seq)) return undefined;
    if (this.ordered) this.nextOut++;
    else this.arrivals.shift();
    const outcome = this.settled.get(seq) as T;
    this.settled.delete(seq);
    this.chars -= this.pending.get(seq) ?? 0;
    this.pending.delete(seq);
    return outcome;
  }
}
