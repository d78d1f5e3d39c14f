/**
 * Concurrency without parallelism: one event loop, many waits in flight. A thousand timers or I/O requests
 * started together finish in about the time of the longest, because waiting costs the loop nothing. But
 * the loop runs one callback at a time: a CPU-bound loop holds it, and every timer due meanwhile fires late,
 * all at once, when the loop is free again. That is why a spinner that must keep turning while the program
 * computes lives in a child process (or a thread), with a loop of its own.
 *
 * Use async/await for I/O-bound work; move CPU-bound work off the loop. From the chapter's "concurrency is
 * not parallelism" and the asyncio spinner in Fluent Python.
 * Try: concur demo async
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { recorder } from '../../trace/events.js';

/** What overlapping many waits achieved. */
export interface OverlapRun {
  waits: number;
  /** The waits laid end to end: how long doing them one after another would take. */
  sumMs: number;
  /** The longest single wait: the least the overlapped run can take. */
  longestMs: number;
  /** How long the overlapped run took. */
  wallMs: number;
}

/**
 * Start one timer per entry of `durationsMs` and `reads` file reads all at once, and wait for them all.
 * Only one thread runs JavaScript throughout.
 */
export async function overlapWaits(
  durationsMs: number[],
  reads = 0,
  file = fileURLToPath(import.meta.url),
): Promise<OverlapRun> {
  const started = performance.now();
  const reading = Array.from({ length: reads }, async () => {
    const t = performance.now();
    await readFile(file);
    return performance.now() - t;
  });
  const timing = durationsMs.map((ms) => sleep(ms).then(() => ms));
  const waits = timing.length + reading.length;
  // A wait, not work: traces draw it, the timeline shows the loop idle (free) meanwhile.
  recorder.start(recorder.self, 'overlapped waits', { waiting: true, waits });
  const all = await Promise.all([...timing, ...reading]);
  recorder.end(recorder.self, 'overlapped waits', { waiting: true, waits });
  const wallMs = performance.now() - started;
  return {
    waits: all.length,
    sumMs: all.reduce((a, b) => a + b, 0),
    longestMs: Math.max(...all),
    wallMs,
  };
}

/** How late timers fired. */
export interface LatenessRun {
  timers: number;
  /** How long the CPU-bound loop held the event loop (0: no block). */
  blockMs: number;
  /** Lateness of each timer (fired − due), sorted, in ms. */
  lateMs: number[];
  /** Timers that fired while the loop was blocked (always 0: that is the point). */
  firedDuringBlock: number;
}

/**
 * Schedule `timers` timers due every `everyMs`, then (if `blockMs` > 0) run `work` until `blockMs` have
 * passed, holding the loop. Resolves with how late each timer fired.
 */
export async function measureLateness(
  timers: number,
  everyMs: number,
  blockMs: number,
  work: () => void = () => Math.sqrt(Math.random()),
): Promise<LatenessRun> {
  const start = performance.now();
  let blocking = false;
  let firedDuringBlock = 0;
  const fired = Array.from(
    { length: timers },
    (_, i) =>
      new Promise<number>((resolve) =>
        setTimeout(
          () => {
            if (blocking) firedDuringBlock++;
            const late = performance.now() - (start + (i + 1) * everyMs);
            recorder.emit(recorder.self.role, recorder.self.pid, 'note', { timer: i + 1, lateMs: late });
            resolve(late);
          },
          (i + 1) * everyMs,
        ),
      ),
  );
  if (blockMs > 0) {
    blocking = true;
    recorder.start(recorder.self, 'CPU block', { blockMs });
    while (performance.now() - start < blockMs) work();
    recorder.end(recorder.self, 'CPU block', { blockMs });
    blocking = false;
  }
  const lateMs = (await Promise.all(fired)).map((ms) => Math.max(0, ms)).sort((a, b) => a - b);
  return { timers, blockMs, lateMs, firedDuringBlock };
}

/** The q-quantile (0..1) of sorted numbers. */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}
