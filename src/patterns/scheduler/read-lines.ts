/**
 * Reading whole lines from a socket inside a scheduler task: wait until the socket is readable (a `readWait`
 * system call), read what is there, and go on until at least one whole line has arrived. Used by the echo
 * server of `concur demo scheduler` and by `concur demo server`. Try: concur demo scheduler
 */
import type { Socket } from 'node:net';
import { readWait, type SystemCall } from './scheduler.js';

/** The next whole lines (TCP may split or join writes), without their newlines; [] at the end of the stream. */
export function* readLines(socket: Socket): Generator<SystemCall | undefined, string[], unknown> {
  let buffered = '';
  for (;;) {
    yield* readWait(socket);
    const chunk = socket.read() as Buffer | null;
    if (chunk === null) {
      if (socket.readableEnded || socket.destroyed) return buffered === '' ? [] : [buffered];
      continue;
    }
    buffered += chunk.toString('utf8');
    if (buffered.endsWith('\n')) return buffered.slice(0, -1).split('\n');
  }
}
