/**
 * Batch sizing for fan-out: how many items to send a worker in one message, learned as the stream runs.
 *
 * Too small a batch and the run is all message overhead; too large and the tail waits on one slow worker.
 * Python's multiprocessing picks chunksize = ceil(n / (4 × workers)), which needs n; a stream does not know n,
 * so the sizer starts with one item and grows from the cost per item that the workers report. Local fan-out
 * (WorkerPool) and distributed fan-out (the coordinator) size their batches with this same class.
 * Try: concur demo fan-out
 */

/**
 * Batch sizes for a stream of unknown length: start with one item and let each batch grow to at most `growth`
 * times the last (twice, by default), aiming at `targetMs` of work per batch from the worker-measured cost per item: tiny items
 * travel in thousands, slow ones one by one.
 */
export class BatchSizer {
  private perItemMs: number | undefined;
  private size = 1;

  constructor(
    readonly maxItems = 16_384,
    readonly targetMs = 20,
    readonly growth = 2,
  ) {}

  /**
   * Learn from a finished batch: `items` took `busyMs` inside the worker. The cost per item is a moving average,
   * so one batch slowed by a busy machine nudges the size instead of halving it.
   */
  observe(items: number, busyMs: number): void {
    const perItem = busyMs / Math.max(1, items);
    this.perItemMs = this.perItemMs === undefined ? perItem : 0.7 * this.perItemMs + 0.3 * perItem;
    const ideal = this.targetMs / Math.max(this.perItemMs, 1e-6);
    this.size = Math.max(
      1,
      Math.min(this.maxItems, Math.floor(ideal), Math.max(this.size, items) * this.growth),
    );
  }

  /** Items for the next batch; at most `known` / (4 × workers), rounded up, when the total is known. */
  next(known?: { remaining: number; workers: number }): number {
    if (!known) return this.size;
    return Math.max(1, Math.min(this.size, Math.ceil(known.remaining / (4 * known.workers))));
  }
}
