/**
 * The first examples of Python's multiprocessing docs, in Node's terms. A forked child is a whole process
 * with its own pid, whose parent is concur (`info()`); objects cross between processes as copies, through
 * the IPC channel ('json' serialization by default, 'advanced' for Maps, Dates, typed arrays...); memory is
 * shared only between threads of one process (a SharedArrayBuffer), which is what Value and Array become.
 * Use it to check what crosses a process boundary (copies) and what only threads can share (memory).
 * Try: concur demo basics
 */
import type { Serializable } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { Worker } from 'node:worker_threads';
import { forkChild } from '../../process/children.js';
import { receiveFrom } from '../../process/messages.js';
import { terminate } from '../../process/supervision.js';
import { recorder } from '../../trace/events.js';
import { isFromBasicsChild, type FromBasicsChild, type ValuesData } from './protocol.js';

const infoChildPath = fileURLToPath(new URL('./info.child.js', import.meta.url));
const valuesThreadPath = fileURLToPath(new URL('./values.thread.js', import.meta.url));

/** Show a value as JavaScript would write it: `[42, null, 'hello']`. */
export function show(value: unknown): string {
  return Array.isArray(value)
    ? `[${value.map((item) => show(item)).join(', ')}]`
    : inspect(value, { breakLength: Infinity });
}

/** Everything one child sent, by type, and its pid. */
export interface ChildTalk {
  pid: number;
  info: Extract<FromBasicsChild, { type: 'info' }>;
  basic: unknown;
  rich: unknown;
}

/** Fork the info child with `serialization`, collect its three messages, say bye, and wait for it to exit. */
export async function talkToChild(serialization: 'json' | 'advanced'): Promise<ChildTalk> {
  const child = forkChild(infoChildPath, [], { serialization });
  recorder.child(child, `child (${serialization})`);
  const got: Partial<ChildTalk> = { pid: child.pid ?? 0 };
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => reject(new Error('the child exited before sending its three messages')));
    receiveFrom(child, isFromBasicsChild, (message) => {
      if (message.type === 'info') got.info = message;
      else got[message.type] = message.value;
      if (got.info && 'basic' in got && 'rich' in got) resolve();
    });
  });
  child.send({ type: 'bye' } satisfies Serializable);
  await terminate(child);
  const { info } = got;
  if (!info) throw new Error('the child sent no info');
  return { pid: got.pid ?? 0, info, basic: got.basic, rich: got.rich };
}

/** Value('d', 0.0) and Array('i', range(10)) in shared memory, changed by a worker thread. */
export async function sharedValueAndArray(): Promise<{ num: number; arr: number[] }> {
  const data: ValuesData = {
    num: new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT),
    arr: new SharedArrayBuffer(10 * Int32Array.BYTES_PER_ELEMENT),
  };
  const arr = new Int32Array(data.arr);
  arr.forEach((_, i) => (arr[i] = i));
  const worker = new Worker(valuesThreadPath, { workerData: data });
  recorder.spawn({ role: `thread ${worker.threadId}`, pid: process.pid }, { shares: 'num, arr' });
  await new Promise<void>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', () => resolve());
  });
  return { num: new Float64Array(data.num)[0] ?? 0, arr: [...arr] };
}
