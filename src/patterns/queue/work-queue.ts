/**
 * Worker/queue farm with a stop sentinel: a task queue feeds a fixed set of worker processes; each worker
 * takes the next task when it is free, sends its result to a done queue, and exits when it takes the STOP
 * sentinel. Put one STOP per worker after the last task and every worker finishes its share, then leaves.
 *
 * Use it when tasks vary in length and you want idle workers to pull the next one (no worker sits idle
 * while another has a backlog). From Python's multiprocessing docs, Doc/includes/mp_workers.py.
 * Try: concur demo queue
 */
import { fileURLToPath } from 'node:url';
import { forkLinked } from '../supervisor/supervisor.js';
import { describeReason, monitor, type ExitReason } from '../../process/supervision.js';
import { isFromQueueWorker, type QueueTask, type ToQueueWorker } from './protocol.js';
import { receiveFrom } from '../../process/messages.js';

/** The sentinel that tells a worker to stop, as in mp_workers. */
export const STOP = 'STOP';
export type Stop = typeof STOP;

/**
 * A first-in, first-out queue whose `get()` waits when it is empty (Python's Queue.get()).
 * Items are handed out in the order they were put, each to exactly one getter.
 */
export class WorkQueue<T> {
  private readonly items: (T | Stop)[] = [];
  private readonly waiting: ((item: T | Stop) => void)[] = [];

  /** Add an item (or the STOP sentinel); a waiting getter receives it at once. */
  put(item: T | Stop): void {
    const getter = this.waiting.shift();
    if (getter) getter(item);
    else this.items.push(item);
  }

  /** Take the next item, waiting for one if the queue is empty. */
  get(): Promise<T | Stop> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift() as T | Stop);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Items not yet taken. */
  get size(): number {
    return this.items.length;
  }
}

/** The child entry point of a farm worker. */
export const queueWorkerPath = fileURLToPath(new URL('./worker.child.js', import.meta.url));

/** What a farm tells its caller as it runs. */
export type FarmEvent =
  | { type: 'started'; worker: number; pid: number }
  | { type: 'sent'; worker: number; item: QueueTask | Stop }
  | { type: 'result'; worker: number; task: QueueTask; result: number }
  | { type: 'exited'; worker: number; pid: number; reason: ExitReason };

/**
 * Start `workers` processes that pull tasks from `queue` until each takes a STOP. Resolves when every worker
 * has exited; rejects if one dies without having taken a STOP (its task would otherwise be lost silently).
 */
export async function runFarm(
  queue: WorkQueue<QueueTask>,
  workers: number,
  onEvent: (event: FarmEvent) => void,
): Promise<void> {
  const children = await Promise.all(
    Array.from({ length: workers }, (_, i) =>
      forkLinked(queueWorkerPath, [String(i + 1)], (m) => isFromQueueWorker(m) && m.type === 'get'),
    ),
  );
  const exits = children.map((child, i) => {
    const worker = i + 1;
    const pid = child.pid ?? 0;
    let stopped = false;
    // Hand the worker the next item from the queue: a task, or the sentinel.
    const serve = async (): Promise<void> => {
      const item = await queue.get();
      if (item === STOP) stopped = true;
      onEvent({ type: 'sent', worker, item });
      const message: ToQueueWorker = item === STOP ? { type: 'STOP' } : { type: 'task', task: item };
      if (child.connected) child.send(message, () => {});
    };
    receiveFrom(child, isFromQueueWorker, (message) => {
      switch (message.type) {
        case 'get':
          void serve();
          return;
        case 'result':
          onEvent({ type: 'result', worker, task: message.task, result: message.result });
          return;
        default: {
          const unknown: never = message;
          throw new Error(`queue: unknown message ${JSON.stringify(unknown)}`);
        }
      }
    });
    onEvent({ type: 'started', worker, pid });
    void serve(); // its first 'get' was the handshake forkLinked consumed
    return new Promise<void>((resolve, reject) =>
      monitor(child, ({ reason }) => {
        onEvent({ type: 'exited', worker, pid, reason });
        if (stopped && reason.kind === 'normal') resolve();
        else
          reject(new Error(`worker ${worker} (pid ${pid}) died before its STOP: ${describeReason(reason)}`));
      }),
    );
  });
  await Promise.all(exits);
}
