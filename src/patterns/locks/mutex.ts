/**
 * A mutex between worker threads, built from one Int32 cell of a SharedArrayBuffer: 0 is free, 1 is held.
 * `lock` claims it with compareExchange (one indivisible test-and-set); when another thread holds it, the
 * caller sleeps in Atomics.wait until `unlock` wakes it with Atomics.notify, instead of spinning.
 * multiprocessing's Lock, in Node's terms (Atomics.wait may block worker threads only, never the main one).
 * Use it when worker threads change shared memory in more than one step; keep the guarded part short.
 * Try: concur demo locks
 */

const FREE = 0;
const HELD = 1;

/** A lock over `cells[index]`; every thread that builds one over the same cell shares the same lock. */
export class Mutex {
  constructor(
    private readonly cells: Int32Array,
    private readonly index: number,
  ) {}

  /**
   * Take the lock, waiting for it at most `timeoutMs` (forever by default). Answers false on a timeout:
   * a caller that can give up cannot be stuck in a deadlock for good.
   */
  lock(timeoutMs = Infinity): boolean {
    const deadline = performance.now() + timeoutMs;
    while (Atomics.compareExchange(this.cells, this.index, FREE, HELD) !== FREE) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      // Sleeps only while the cell still reads HELD, so an unlock between the two lines is never missed.
      Atomics.wait(this.cells, this.index, HELD, left);
    }
    return true;
  }

  /** Release the lock and wake one waiting thread. */
  unlock(): void {
    Atomics.store(this.cells, this.index, FREE);
    Atomics.notify(this.cells, this.index, 1);
  }
}
