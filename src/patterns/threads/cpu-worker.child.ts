/**
 * A CPU worker that runs as either a worker thread or a forked process: it counts primes in the ranges it is
 * sent. As a thread it talks through parentPort; as a process through its IPC channel, and it calls
 * exitWithParent() so it can never outlive its parent.
 * Usage: new Worker(cpu-worker.child.js) or fork(cpu-worker.child.js)
 * Try: concur demo threads
 */
import { parentPort } from 'node:worker_threads';
import { epochNow } from '../../trace/clock.js';
import { isToCpuWorker, type FromCpuWorker, type ToCpuWorker } from './protocol.js';
import { exitWithParent } from '../../process/lifeline.js';
import { disconnect, receive, send } from '../../process/messages.js';
import { isPrime } from '../../work/primes.js';

function handle(message: ToCpuWorker): void {
  switch (message.type) {
    case 'job': {
      const startedAt = epochNow();
      let count = 0;
      for (let n = message.from; n < message.to; n++) if (isPrime(n)) count++;
      send<FromCpuWorker>({ type: 'result', id: message.id, count, startedAt, endedAt: epochNow() });
      return;
    }
    case 'stop':
      if (parentPort) parentPort.close();
      else disconnect();
      return;
    default: {
      const unknown: never = message;
      throw new Error(`cpu worker: unknown message ${JSON.stringify(unknown)}`);
    }
  }
}

// A thread dies with its process; a process needs its half of the link.
if (!parentPort) exitWithParent();
receive(isToCpuWorker, handle);
send<FromCpuWorker>({ type: 'ready', rss: process.memoryUsage().rss });
