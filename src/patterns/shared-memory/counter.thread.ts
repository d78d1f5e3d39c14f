/**
 * A worker thread of the shared-memory demo. It waits at a barrier until every thread is ready (so they all
 * count at the same moment), then adds 1 to the counter `increments` times in the way `mode` says.
 * Threads need no exitWithParent(): they live inside the process and die with it.
 * Try: concur demo shared-memory
 */
import { workerData } from 'node:worker_threads';
import { epochNow } from '../../trace/clock.js';
import { COUNTER, START, type CounterWorkerData, type FromCounterThread } from './protocol.js';
import { send } from '../../process/messages.js';

const { mode, increments, shared } = workerData as CounterWorkerData;
const cells = new Int32Array(shared);
send<FromCounterThread>({ type: 'ready' });
Atomics.wait(cells, START, 0);
const started = performance.now();
const startedAt = epochNow();
switch (mode) {
  case 'racy':
    // Load, add, store: another thread can store in between, and one of the two increments is lost.
    for (let i = 0; i < increments; i++) cells[COUNTER] = (cells[COUNTER] ?? 0) + 1;
    break;
  case 'atomic':
    for (let i = 0; i < increments; i++) Atomics.add(cells, COUNTER, 1);
    break;
  case 'message-each':
    for (let i = 0; i < increments; i++) send<FromCounterThread>({ type: 'add', n: 1 });
    break;
  case 'message-total': {
    let local = 0;
    for (let i = 0; i < increments; i++) local++;
    send<FromCounterThread>({ type: 'add', n: local });
    break;
  }
  default: {
    const unknown: never = mode;
    throw new Error(`unknown mode ${String(unknown)}`);
  }
}
send<FromCounterThread>({ type: 'done', ms: performance.now() - started, startedAt, endedAt: epochNow() });
