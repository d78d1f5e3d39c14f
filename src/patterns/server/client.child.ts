/**
 * The server demo's clients, in a process of their own so that a stalled server cannot stall them: one
 * connection asks for fib(n); once the server says it is working on it, the other connections ping it, one
 * ping at a time, timing each round trip. A server that is busy computing answers no ping until it is done.
 * Run clients in their own process, as here, whenever you measure whether a server stalls.
 * Try: concur demo server
 */
import { connect, type Socket } from 'node:net';
import { exitWithParent } from '../../process/lifeline.js';
import { receive, send } from '../../process/messages.js';
import { isToClient, type FromClient, type ToClient } from './protocol.js';

const tell = (message: FromClient, then?: () => void): void => send(message, then);

// A line reader over one socket: each call resolves with the next line.
function lines(socket: Socket): () => Promise<string> {
  let buffered = '';
  const waiting: ((line: string) => void)[] = [];
  const ready: string[] = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      const reader = waiting.shift();
      if (reader) reader(line);
      else ready.push(line);
    }
  });
  return () => {
    const line = ready.shift();
    return line === undefined ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve(line);
  };
}

async function open(port: number): Promise<{ socket: Socket; next: () => Promise<string> }> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return { socket, next: lines(socket) };
}

async function run(start: ToClient): Promise<void> {
  const asker = await open(start.port);
  const pingers = await Promise.all(Array.from({ length: start.pingers }, () => open(start.port)));
  asker.socket.write(`fib ${start.n}\n`);
  await asker.next(); // "working on fib(n)": the server has the request in hand.
  let pongs = 0;
  let longestPingMs = 0;
  await Promise.all(
    pingers.map(async ({ socket, next }) => {
      for (let i = 0; i < start.pings; i++) {
        const sent = performance.now();
        socket.write('ping\n');
        if ((await next()) === 'pong') pongs++;
        longestPingMs = Math.max(longestPingMs, performance.now() - sent);
      }
    }),
  );
  const answer = await asker.next();
  for (const { socket } of [asker, ...pingers]) socket.end();
  tell({ type: 'report', answer, pongs, longestPingMs: Math.round(longestPingMs) }, () =>
    process.disconnect?.(),
  );
}

exitWithParent();
receive(isToClient, (message) => {
  run(message).catch((error: unknown) => {
    process.stderr.write(`server demo client: ${String(error)}\n`);
    process.exit(1);
  });
});
tell({ type: 'ready', pid: process.pid });
