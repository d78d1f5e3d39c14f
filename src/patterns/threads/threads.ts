/**
 * Threads or processes: the same CPU-bound work on worker_threads and on forked processes, measured side by
 * side. A worker thread is a second V8 isolate inside this process: quicker to start, lighter, and able to
 * share memory (SharedArrayBuffer), but a crash or a runaway allocation takes the whole process down. A
 * forked process is a whole Node: slower to start and heavier, but fully isolated, killable on its own,
 * and supervisable (see the supervisor pattern). Both run in parallel on separate cores.
 *
 * Use threads for hot CPU work inside one program; processes for isolation, crash containment, running
 * other programs, or work that may need to be killed. From the chapter's "Processes, then threads".
 * Try: concur demo threads
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { recorder, type ProcessRef } from '../../trace/events.js';
import { isFromCpuWorker, type FromCpuWorker, type ToCpuWorker } from './protocol.js';
import { receiveFrom } from '../../process/messages.js';
import { forkChild } from '../../process/children.js';
import { terminate } from '../../process/supervision.js';

/** The worker's entry point, for both kinds. */
export const cpuWorkerPath = fileURLToPath(new URL('./cpu-worker.child.js', import.meta.url));

/** Which kind of worker. */
export type WorkerKind = 'thread' | 'process';

/** A worker of either kind, behind one interface. */
interface CpuWorker {
  /** How events name it: a thread has concur's PID and a role of its own (`thread N`, N its threadId). */
  readonly ref: ProcessRef;
  send(message: ToCpuWorker): void;
  onMessage(listener: (message: FromCpuWorker) => void): void;
  /** Stop it and wait until it is gone. */
  close(): Promise<void>;
}

function startWorker(kind: WorkerKind, index: number): CpuWorker {
  if (kind === 'thread') {
    const worker = new Worker(cpuWorkerPath);
    const ref = { role: `thread ${worker.threadId}`, pid: process.pid };
    recorder.spawn(ref, { threadId: worker.threadId });
    const exited = new Promise<void>((resolve) =>
      worker.once('exit', (code) => {
        recorder.emit(ref.role, ref.pid, code === 0 ? 'exit' : 'crash', { code });
        resolve();
      }),
    );
    return {
      ref,
      send: (message) => worker.postMessage(message),
      onMessage: (listener) => receiveFrom(worker, isFromCpuWorker, listener),
      close: async () => {
        worker.postMessage({ type: 'stop' } satisfies ToCpuWorker);
        await exited;
      },
    };
  }
  const child = forkChild(cpuWorkerPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('error', () => {});
  return {
    ref: recorder.child(child, `process ${index + 1}`),
    send: (message) => void (child.connected && child.send(message, () => {})),
    onMessage: (listener) => receiveFrom(child, isFromCpuWorker, listener),
    close: async () => {
      await terminate(child, 1000);
    },
  };
}

/** What one run measured. */
export interface CpuRun {
  kind: WorkerKind;
  workers: number;
  /** From asking for the workers until every one of them said ready. */
  startupMs: number;
  /** Extra resident memory the workers cost: the parent's RSS growth (threads) or the children's RSS (processes). */
  memoryBytes: number;
  /** From sending the first job until the last result. */
  workMs: number;
  /** Numbers tested per second, over the work phase. */
  throughput: number;
  /** The answer (primes below the limit), to check both kinds agree. */
  primes: number;
}

/**
 * Start `workers` workers of `kind`, count the primes below `limit` in `chunks` pieces that idle workers pull,
 * and stop them. Resolves with start-up time, memory, throughput and the answer.
 */
export async function runCpuWork(
  kind: WorkerKind,
  workers: number,
  limit: number,
  chunks: number,
): Promise<CpuRun> {
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const pool = Array.from({ length: workers }, (_, index) => startWorker(kind, index));
  const childRss: number[] = [];
  const ready = pool.map(
    (worker) =>
      new Promise<void>((resolve) =>
        worker.onMessage((message) => {
          if (message.type === 'ready') {
            childRss.push(message.rss);
            resolve();
          }
        }),
      ),
  );
  await Promise.all(ready);
  const startupMs = performance.now() - started;
  const memoryBytes =
    kind === 'thread' ? process.memoryUsage().rss - rssBefore : childRss.reduce((a, b) => a + b, 0);

  const size = Math.ceil(limit / chunks);
  let next = 0;
  let primes = 0;
  const workStarted = performance.now();
  await Promise.all(
    pool.map(
      (worker) =>
        new Promise<void>((resolve) => {
          // Pull: a worker gets its next chunk when it hands back a result.
          let msg = 0;
          const give = (): void => {
            if (next * size >= limit) return resolve();
            const id = next++;
            msg = recorder.send(recorder.self, worker.ref, 'job', { id });
            worker.send({ type: 'job', id, from: id * size, to: Math.min(limit, (id + 1) * size) });
          };
          worker.onMessage((message) => {
            if (message.type !== 'result') return;
            primes += message.count;
            if (recorder.enabled) {
              // The chunk as the worker lived it: the job arrives, it counts, it answers.
              const { id, count, startedAt, endedAt } = message;
              recorder.receive(worker.ref, recorder.self, msg, 'job', { id }, startedAt);
              recorder.task(worker.ref, 'chunk', startedAt, endedAt, { id });
              recorder.message(worker.ref, recorder.self, 'result', { id, count }, endedAt);
            }
            give();
          });
          give();
        }),
    ),
  );
  const workMs = performance.now() - workStarted;
  await Promise.all(pool.map((worker) => worker.close()));
  return { kind, workers, startupMs, memoryBytes, workMs, throughput: limit / (workMs / 1000), primes };
}
