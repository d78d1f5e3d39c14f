/**
 * A writer thread of the locks demo: it appends `hello world <id> <n>` lines to a shared log, one character
 * at a time, as a print reaches the terminal in pieces. With the lock, each line is written whole; without,
 * the characters of lines written at the same moment by other threads land in between.
 * Use a lock like it whenever several threads write one shared thing in more than one step.
 * Try: concur demo locks
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Mutex } from './mutex.js';
import { CURSOR, LOCK, START, type FromWriter, type WriterData } from './protocol.js';

const { id, lines, locked, control, log } = workerData as WriterData;
const cells = new Int32Array(control);
const bytes = new Uint8Array(log);
const mutex = new Mutex(cells, LOCK);
const post = (message: FromWriter): void => parentPort?.postMessage(message);

// Each character gets its own slot (Atomics.add), so none is lost: what goes wrong is only their order.
function write(text: string): void {
  for (let i = 0; i < text.length; i++) bytes[Atomics.add(cells, CURSOR, 1)] = text.charCodeAt(i);
}

post({ type: 'ready' });
Atomics.wait(cells, START, 0);
for (let n = 0; n < lines; n++) {
  if (locked) mutex.lock();
  try {
    write(`hello world ${id} ${n}\n`);
  } finally {
    if (locked) mutex.unlock();
  }
}
post({ type: 'done' });
