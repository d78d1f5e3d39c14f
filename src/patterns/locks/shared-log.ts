/**
 * Several worker threads write lines into one shared log at once, with or without a lock around each line
 * (multiprocessing's Lock example: `with lock: print('hello world', i)`). Without the lock nothing is lost,
 * but lines written at the same moment are shuffled into each other; with it, every line is whole.
 * Use a lock when a change takes several steps that others must never see half-done.
 * Try: concur demo locks
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { recorder } from '../../trace/events.js';
import { CONTROL_SLOTS, CURSOR, START, type FromWriter, type WriterData } from './protocol.js';

/** The writer thread's entry point. */
export const writerThreadPath = fileURLToPath(new URL('./writer.thread.js', import.meta.url));

/** What the shared log held afterwards. */
export interface LogRun {
  /** Lines written in all. */
  expected: number;
  /** Lines that read exactly `hello world <id> <n>`, each one once. */
  intact: number;
  /** A few lines that came out mixed up, to show what went wrong. */
  mixed: string[];
}

/** Start `threads` writers, release them together, and check every line of the log they share. */
export async function writeSharedLog(threads: number, lines: number, locked: boolean): Promise<LogRun> {
  const control = new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  const cells = new Int32Array(control);
  const longest = `hello world ${threads} ${lines}\n`.length;
  const log = new SharedArrayBuffer(threads * lines * longest);
  let ready = 0;
  const finished = Array.from({ length: threads }, (_, id) => {
    const data: WriterData = { id, lines, locked, control, log };
    const worker = new Worker(writerThreadPath, { workerData: data });
    recorder.spawn({ role: `thread ${worker.threadId}`, pid: process.pid }, { writer: id, locked });
    return new Promise<void>((resolve, reject) => {
      worker.on('error', reject);
      worker.on('exit', () => resolve());
      worker.on('message', (message: FromWriter) => {
        // The barrier: once every writer waits on START, wake them all, so they write at the same moment.
        if (message.type === 'ready' && ++ready === threads) {
          Atomics.store(cells, START, 1);
          Atomics.notify(cells, START);
        }
      });
    });
  });
  await Promise.all(finished);
  const text = Buffer.from(new Uint8Array(log, 0, Atomics.load(cells, CURSOR))).toString('latin1');
  return check(text, threads, lines);
}

// Count the lines that came out whole (each expected line once); keep a few of the others.
function check(text: string, threads: number, lines: number): LogRun {
  const wanted = new Set<string>();
  for (let id = 0; id < threads; id++) for (let n = 0; n < lines; n++) wanted.add(`hello world ${id} ${n}`);
  let intact = 0;
  const mixed: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (wanted.delete(line)) intact++;
    else if (mixed.length < 3) mixed.push(line);
  }
  return { expected: threads * lines, intact, mixed };
}
