/**
 * `map`: fan-out as one function call. Every item goes through a worker module in a pool of processes, and one
 * result per item comes back: in input order by default, or as they finish.
 *
 * Use it from your own code when you have an iterable of strings and a module to run them through; the pool
 * lives exactly as long as the iteration. From Python's multiprocessing.Pool.imap (and imap_unordered).
 * Try: concur demo fan-out
 */
import { chunks } from './cutter.js';
import { WorkerPool, type PoolOptions, type StreamOptions } from './pool.js';
import type { ItemResult } from './results.js';

/** Options for `map`: the pool's and the stream's. */
export type MapOptions = Omit<PoolOptions, 'worker'> & StreamOptions;

/**
 * Run every item through `worker` in a pool of processes and yield one result per item: in input order by
 * default (streaming, with a bounded reorder buffer), or as they finish with `{ ordered: false }`.
 * The pool starts when iteration starts and stops when it ends (or breaks off).
 *
 *   for await (const r of map(lines, './hash.js', { jobs: 4 })) console.log(r.output ?? r.error);
 */
export async function* map(
  items: AsyncIterable<string> | Iterable<string>,
  worker: string,
  options: MapOptions = {},
): AsyncGenerator<ItemResult, void, undefined> {
  const pool = await WorkerPool.start({ ...options, worker });
  try {
    for await (const batch of pool.stream(chunks(items), options)) yield* batch.results();
  } finally {
    await pool.close();
  }
}
