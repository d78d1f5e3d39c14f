/**
 * How a fan-out pool (pool.ts) is started, and what it tells its watchers while it runs: workers forked, ready,
 * crashed and restarted, batches answered, and the pool giving up when a worker keeps dying.
 * Try: concur demo fan-out
 */
import type { ChildProcess, ForkOptions } from 'node:child_process';
import type { ExitReason } from '../../process/supervision.js';

/** What a pool tells its watchers (narrators, progress displays, logs). */
export type PoolEvent =
  | { type: 'spawn'; worker: number; pid: number }
  | { type: 'ready'; worker: number; pid: number }
  /**
   * A worker died; `inFlight` items were unanswered on it and go back to the queue (or fail). `timedOutMs` is
   * set when the pool killed it because an item ran longer than that.
   */
  | {
      type: 'crash';
      worker: number;
      pid: number;
      reason: ExitReason;
      inFlight: number;
      timedOutMs?: number;
    }
  | { type: 'restart'; worker: number; pid: number; previousPid: number }
  /** Too many restarts within the period: the pool stops, and outstanding work is rejected. */
  | { type: 'give-up'; worker: number; reason: ExitReason; restarts: number; periodMs: number }
  | { type: 'batch'; worker: number; pid: number; items: number; busyMs: number; rss: number };

/** How to start a pool. */
export interface PoolOptions {
  /** A built-in worker name (see `builtins` in src/modules/contract.ts) or a path to a module. */
  worker: string;
  /** Number of worker processes; defaults to the number of cores. */
  jobs?: number;
  /**
   * Extra attempts for an item whose worker died while running it on its own (default 1). The other items of
   * a batch whose worker died are re-run one by one first; that isolation run is not counted as a retry.
   */
  retries?: number;
  /**
   * The most one item may run, in ms (default: no limit). A worker whose item runs longer is killed (SIGKILL:
   * it may be stuck in a loop that never yields) and replaced; the item counts as run on a worker that died
   * (isolation, then `retries`), and in the end fails as "timed out after 10s".
   */
  timeoutMs?: number;
  /** Restart intensity: at most this many worker restarts within `periodMs` (default 10 in 5000 ms). */
  maxRestarts?: number;
  periodMs?: number;
  /** Directory a worker path is resolved against (default: the current directory). */
  cwd?: string;
  /** A worker still loading its module after this long is a UsageError (default 10 s; see loadStage). */
  loadTimeoutMs?: number;
  /** Called for every pool event (also emitted as 'event'). */
  onEvent?: (event: PoolEvent) => void;
  /** Dependency seam: how to fork a worker (defaults to node:child_process fork). */
  fork?: (modulePath: string, args: string[], options: ForkOptions) => ChildProcess;
  /** Largest batch, in items (default 16384) and in characters of input (default 1 MiB). */
  maxBatchItems?: number;
  maxBatchChars?: number;
  /**
   * Largest batch of lines read as bytes (`streamLines`), in bytes (default 64 KiB). A batch, its message and
   * the strings a worker makes of it then stay in small allocations: past 128 KiB, each message is memory
   * mapped and unmapped again (the system allocator's threshold) and each string is a large object in V8.
   */
  maxBatchBytes?: number;
}
