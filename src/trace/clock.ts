/**
 * One clock for every process of a run. Each Node process has its own `performance.now()`, counted from its
 * own start; adding `performance.timeOrigin` (the wall-clock time of that start) gives epoch milliseconds with
 * sub-millisecond precision that line up across processes. Children put these in the messages they already
 * send (a task's start and end), so the parent can draw them on the same time axis as its own events.
 */

/** Now, in epoch milliseconds (fractional), comparable between processes on one machine. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
