/**
 * A worker of the queue farm: `for task in iter(input.get, 'STOP')`, in Node. It asks the queue for a task,
 * computes it, puts the result on the done queue, and asks again, until it receives the STOP sentinel.
 * Usage (forked): worker.child.js <number>
 * Try: concur demo queue
 */
import { isToQueueWorker, type FromQueueWorker, type QueueTask, type ToQueueWorker } from './protocol.js';
import { exitWithParent } from '../../process/lifeline.js';
import { disconnect, receive, send } from '../../process/messages.js';

const worker = Number(process.argv[2] ?? 1);

const functions = {
  mul: (a: number, b: number) => a * b,
  plus: (a: number, b: number) => a + b,
} as const;

// mp_workers' calculate(): the call, after a (seeded) sleep that stands in for real work.
function calculate(task: QueueTask): void {
  setTimeout(() => {
    send<FromQueueWorker>({ type: 'result', worker, task, result: functions[task.func](...task.args) });
    send<FromQueueWorker>({ type: 'get', worker });
  }, task.delayMs);
}

function handle(message: ToQueueWorker): void {
  switch (message.type) {
    case 'task':
      calculate(message.task);
      return;
    case 'STOP':
      // The sentinel: no more work will come. Leave once the channel has flushed.
      disconnect();
      return;
    default: {
      const unknown: never = message;
      throw new Error(`queue worker: unknown message ${JSON.stringify(unknown)}`);
    }
  }
}

exitWithParent();
receive(isToQueueWorker, handle);
send<FromQueueWorker>({ type: 'get', worker });
