/**
 * Shared memory: the opposite of "share nothing". Worker threads (not processes) can see the same bytes
 * through a SharedArrayBuffer. Without Atomics, `counter++` from two threads at once loses updates (each
 * reads the old value, both write old + 1); with Atomics.add every increment lands, at a price. Passing
 * messages instead shares nothing and cannot race, at another price: each message is copied.
 *
 * Forked processes cannot do this: each has its own address space, and the IPC channel copies (or refuses)
 * a SharedArrayBuffer rather than sharing it. Use shared memory for hot counters or big arrays between
 * threads, and prefer messages everywhere else. From multiprocessing's Value/Array, in Node's terms.
 * Try: concur demo shared-memory
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  COUNTER,
  START,
  isFromCounterThread,
  isFromProbe,
  type CounterWorkerData,
  type CountMode,
  type FromProbe,
  type ToProbe,
} from './protocol.js';
import { receiveFrom } from '../../process/messages.js';
import { recorder } from '../../trace/events.js';
import { forkChild } from '../../process/children.js';
import { terminate } from '../../process/supervision.js';

/** The worker thread's entry point. */
export const counterThreadPath = fileURLToPath(new URL('./counter.thread.js', import.meta.url));

/** One counting run. */
export interface CountRun {
  mode: CountMode;
  threads: number;
  /** What the counter should read: threads × increments. */
  expected: number;
  /** What it reads. */
  total: number;
  /** expected − total. */
  lost: number;
  /** Wall time from the start signal until every thread has finished and every message is counted. */
  ms: number;
}

/**
 * Start `threads` worker threads, release them together, and let each add 1 to one counter `increments`
 * times in the given mode. Resolves with the total and how many updates were lost.
 */
export async function countWithThreads(
  mode: CountMode,
  threads: number,
  increments: number,
): Promise<CountRun> {
  const shared = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const cells = new Int32Array(shared);
  let fromMessages = 0;
  let ready = 0;
  let releasedAt = 0;
  let releaseAll!: () => void;
  const allReady = new Promise<void>((resolve) => (releaseAll = resolve));
  const workers = Array.from({ length: threads }, () => {
    const data: CounterWorkerData = { mode, increments, shared };
    const worker = new Worker(counterThreadPath, { workerData: data });
    // A thread has concur's PID and a role (a track) of its own, named by its threadId.
    const ref = { role: `thread ${worker.threadId}`, pid: process.pid };
    recorder.spawn(ref, { threadId: worker.threadId, mode });
    return new Promise<void>((resolve, reject) => {
      receiveFrom(worker, isFromCounterThread, (message) => {
        switch (message.type) {
          case 'ready':
            if (++ready === threads) releaseAll();
            return;
          case 'add':
            fromMessages += message.n;
            return;
          case 'done':
            recorder.task(ref, 'count', message.startedAt, message.endedAt, { mode, increments });
            return;
          default: {
            const unknown: never = message;
            reject(new Error(`unknown message ${JSON.stringify(unknown)}`));
          }
        }
      });
      worker.once('error', reject);
      // 'exit' comes after every message the thread posted has been delivered.
      worker.once('exit', (code) => {
        recorder.emit(ref.role, ref.pid, code === 0 ? 'exit' : 'crash', { code });
        resolve();
      });
    });
  });
  await allReady;
  releasedAt = performance.now();
  Atomics.store(cells, START, 1);
  Atomics.notify(cells, START);
  await Promise.all(workers);
  const ms = performance.now() - releasedAt;
  const total = mode === 'racy' || mode === 'atomic' ? Atomics.load(cells, COUNTER) : fromMessages;
  const expected = threads * increments;
  return { mode, threads, expected, total, lost: expected - total, ms };
}

/** The child entry point that shows a SharedArrayBuffer cannot cross a process boundary. */
export const probePath = fileURLToPath(new URL('./probe.child.js', import.meta.url));

/** What happened when a SharedArrayBuffer was sent to a forked process. */
export interface ProbeResult {
  serialization: 'json' | 'advanced';
  /** The send itself failed with this message (advanced serialization refuses it). */
  refused?: string;
  /** What the child received. */
  arrivedAs?: string;
  /** What the parent's buffer holds after the child wrote 99 into "it". */
  parentSees: number;
}

/**
 * Fork a child and try to share a SharedArrayBuffer with it over IPC, with `serialization`. The parent's
 * buffer never changes: processes do not share memory.
 */
export async function probeProcessSharing(serialization: 'json' | 'advanced'): Promise<ProbeResult> {
  const buffer = new SharedArrayBuffer(4);
  const child = forkChild(probePath, [], { serialization, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('error', () => {});
  const ref = recorder.child(child, `probe (${serialization})`, { serialization });
  let ready!: () => void;
  let probed!: (reply: Extract<FromProbe, { type: 'probed' }>) => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const reply = new Promise<Extract<FromProbe, { type: 'probed' }>>((resolve) => (probed = resolve));
  receiveFrom(child, isFromProbe, (message) => {
    switch (message.type) {
      case 'ready':
        return ready();
      case 'probed':
        return probed(message);
      default: {
        const unknown: never = message;
        throw new Error(`probe: unknown message ${JSON.stringify(unknown)}`);
      }
    }
  });
  try {
    await isReady;
    try {
      child.send({ type: 'probe', buffer } satisfies ToProbe);
    } catch (error) {
      return { serialization, refused: (error as Error).message, parentSees: new Int32Array(buffer)[0] ?? 0 };
    }
    const msg = recorder.send(recorder.self, ref, 'probe');
    const { at, arrivedAs } = await reply;
    recorder.receive(ref, recorder.self, msg, 'probe', undefined, at);
    recorder.message(ref, recorder.self, 'probed', { arrivedAs }, at);
    return { serialization, arrivedAs, parentSees: new Int32Array(buffer)[0] ?? 0 };
  } finally {
    await terminate(child, 0);
  }
}
