/**
 * The conversation between the threads demo and its CPU workers. The same messages serve a worker thread
 * (postMessage) and a forked process (IPC), so the only difference measured is the kind of worker.
 * Try: concur demo threads
 */
import { isNumber, messageGuard } from '../../process/messages.js';

/** Sent to a worker: count the primes in [from, to), or stop. */
export type ToCpuWorker = { type: 'job'; id: number; from: number; to: number } | { type: 'stop' };

/**
 * Sent by a worker: ready (with its memory), or a job's result.
 * `rss` is the resident memory of the worker's process (for a thread: the whole shared process).
 */
export type FromCpuWorker =
  | { type: 'ready'; rss: number }
  /** `startedAt`/`endedAt`: when the worker began and finished the job (epoch ms, src/trace/clock.ts). */
  | { type: 'result'; id: number; count: number; startedAt: number; endedAt: number };

/** A well-formed message to a CPU worker. */
export const isToCpuWorker = messageGuard<ToCpuWorker>({
  job: (m) => isNumber(m.id) && isNumber(m.from) && isNumber(m.to),
  stop: () => true,
});

/** A well-formed message from a CPU worker. */
export const isFromCpuWorker = messageGuard<FromCpuWorker>({
  ready: (m) => isNumber(m.rss),
  result: (m) => isNumber(m.id) && isNumber(m.count) && isNumber(m.startedAt) && isNumber(m.endedAt),
});
