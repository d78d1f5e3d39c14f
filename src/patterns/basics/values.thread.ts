/**
 * multiprocessing's shared Value and Array example, on a worker thread: set the float to 3.1415927 and negate
 * every element of the array. The thread writes straight into the parent's memory; nothing is sent back.
 * Use shared memory like this only between threads; processes exchange copies.
 * Try: concur demo basics
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ValuesData } from './protocol.js';

const { num, arr } = workerData as ValuesData;
const n = new Float64Array(num);
const a = new Int32Array(arr);
n[0] = 3.1415927;
for (let i = 0; i < a.length; i++) a[i] = -(a[i] ?? 0);
parentPort?.postMessage('done');
