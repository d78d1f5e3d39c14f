/**
 * What the shared-memory demo's main thread and its worker threads exchange. The counter itself is not in
 * any message: it lives in a SharedArrayBuffer both sides see. Messages carry only the set-up (workerData)
 * and, for the message-passing comparison, the increments themselves.
 * Try: concur demo shared-memory
 */
import { isNumber, isString, messageGuard } from '../../process/messages.js';

/** How a thread adds to the counter. */
export type CountMode =
  /** `counter[0]++` on shared memory: read, add, write, with no protection. Loses updates. */
  | 'racy'
  /** `Atomics.add(counter, 0, 1)`: one indivisible read-modify-write. Exact. */
  | 'atomic'
  /** No shared memory: post one message per increment; the main thread adds them up. */
  | 'message-each'
  /** No shared memory: count locally, post one message with the total at the end. */
  | 'message-total';

/** The thread's start-up data. */
export interface CounterWorkerData {
  mode: CountMode;
  increments: number;
  /** Int32 slots: [0] the counter, [1] the start flag every thread waits on (a barrier). */
  shared: SharedArrayBuffer;
}

/** Sent by a thread: ready (waiting at the barrier), increments (message modes), done. */
export type FromCounterThread =
  | { type: 'ready' }
  | { type: 'add'; n: number }
  /** `startedAt`/`endedAt`: when the thread's counting began and ended (epoch ms, src/trace/clock.ts). */
  | { type: 'done'; ms: number; startedAt: number; endedAt: number };

/** Index of the counter and of the start flag in the shared Int32Array. */
export const COUNTER = 0;
export const START = 1;

/** Parent → probe child (a forked process): here is a SharedArrayBuffer, write 99 into its first cell. */
export type ToProbe = { type: 'probe'; buffer: unknown };

/** Probe child → parent: what arrived, and whether writing into it worked. */
export type FromProbe =
  | { type: 'ready' }
  /** `at`: when the probe arrived (epoch ms, src/trace/clock.ts). */
  | { type: 'probed'; arrivedAs: string; wrote: boolean; at: number };

/** A well-formed message from a counting thread. */
export const isFromCounterThread = messageGuard<FromCounterThread>({
  ready: () => true,
  add: (m) => isNumber(m.n),
  done: (m) => isNumber(m.ms) && isNumber(m.startedAt) && isNumber(m.endedAt),
});

/** A well-formed message to the probe child (the buffer may arrive as anything: that is what it reports). */
export const isToProbe = messageGuard<ToProbe>({ probe: (m) => 'buffer' in m });

/** A well-formed message from the probe child. */
export const isFromProbe = messageGuard<FromProbe>({
  ready: () => true,
  probed: (m) => isString(m.arrivedAs) && typeof m.wrote === 'boolean' && isNumber(m.at),
});
