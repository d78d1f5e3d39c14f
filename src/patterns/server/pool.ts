/**
 * A very small process pool for the server demo (aserver.py's ProcessPoolExecutor): `submit(n)` answers a
 * promise of fib(n), computed in a worker process; jobs wait in a queue for a free worker.
 * Use a pool like it when a server must hand CPU work away and keep answering.
 * Try: concur demo server
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { forkChild } from '../../process/children.js';
import { receiveFrom } from '../../process/messages.js';
import { terminate } from '../../process/supervision.js';
import { recorder } from '../../trace/events.js';
import { isFromPoolWorker } from './protocol.js';

/** The pool worker's entry point. */
export const fibChildPath = fileURLToPath(new URL('./fib.child.js', import.meta.url));

interface Job {
  id: number;
  n: number;
  resolve: (value: number) => void;
}

/** `size` worker processes computing fib(n) on request. */
export class FibPool {
  private readonly idle: ChildProcess[] = [];
  private readonly queue: Job[] = [];
  private readonly pending = new Map<number, Job>();
  private readonly workers: ChildProcess[] = [];
  private nextId = 0;
  /** Resolves once every worker has said it is ready. */
  readonly ready: Promise<void>;

  constructor(size: number) {
    const readies = Array.from({ length: size }, (_, i) => {
      const worker = forkChild(fibChildPath);
      recorder.child(worker, `pool worker ${i + 1}`);
      this.workers.push(worker);
      return new Promise<void>((resolve, reject) => {
        worker.on('error', reject);
        receiveFrom(worker, isFromPoolWorker, (message) => {
          if (message.type === 'ready') {
            this.release(worker);
            resolve();
          } else {
            const job = this.pending.get(message.id);
            this.pending.delete(message.id);
            job?.resolve(message.value);
            this.release(worker);
          }
        });
      });
    });
    this.ready = Promise.all(readies).then(() => {});
  }

  /** The workers' PIDs. */
  get pids(): number[] {
    return this.workers.map((worker) => worker.pid ?? 0);
  }

  /** fib(n), computed in a worker process. */
  submit(n: number): Promise<number> {
    return new Promise((resolve) => {
      this.queue.push({ id: ++this.nextId, n, resolve });
      this.dispatch();
    });
  }

  /** Stop every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => terminate(worker)));
  }

  private release(worker: ChildProcess): void {
    this.idle.push(worker);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.shift();
      const job = this.queue.shift();
      if (!worker || !job) return;
      this.pending.set(job.id, job);
      worker.send({ type: 'job', id: job.id, n: job.n });
    }
  }
}
