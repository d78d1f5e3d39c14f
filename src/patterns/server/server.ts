/**
 * "Concurrency from the ground up" (Beazley, PyCon 2015, aserver.py): a server made of generator tasks on
 * a select-style loop (the cooperative scheduler's readWait), serving several connections at once. Every
 * task runs on one thread, so a request that computes for a long time stops all the others: the loop
 * cannot come back to them. The fix is to send CPU-heavy requests to a process pool and wait for the
 * answer like any other I/O, so the loop keeps answering everyone else.
 * Use it to see what an event loop can and cannot overlap: waits, yes; computation, no.
 * Try: concur demo server
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Scheduler, awaitPromise, newTask, waitTask, type TaskBody } from '../scheduler/scheduler.js';
import { readLines } from '../scheduler/read-lines.js';
import { fib } from './fib.js';
import type { FibPool } from './pool.js';

/** What the server saw while it ran. */
export interface ServerRun {
  /** Pings answered while a fib request was being computed. */
  pingsDuringFib: number;
  /** Pings answered in all. */
  pings: number;
}

/** A running server: where it listens, and how it ends. */
export interface Server {
  port: number;
  /** Resolves once `connections` clients have come and gone. */
  done: Promise<ServerRun>;
}

/**
 * Serve `connections` clients on a loopback port, then stop. `fib <n>` is computed in this process, or by
 * `pool` when one is given; `ping` is answered at once.
 */
export async function startServer(connections: number, pool?: FibPool): Promise<Server> {
  const run: ServerRun = { pingsDuringFib: 0, pings: 0 };
  let computing = 0;

  function* handler(socket: Socket): TaskBody<void> {
    for (;;) {
      const requests = yield* readLines(socket);
      if (requests.length === 0) break;
      for (const request of requests) {
        if (request === 'ping') {
          run.pings++;
          if (computing > 0) run.pingsDuringFib++;
          socket.write('pong\n');
          continue;
        }
        const n = Number(request.split(' ')[1]);
        socket.write(`working on fib(${n})\n`);
        computing++;
        // The one difference: compute here (every task waits), or wait for a worker process like for I/O.
        const value = pool ? yield* awaitPromise(pool.submit(n)) : fib(n);
        computing--;
        socket.write(`fib(${n}) = ${value}\n`);
      }
    }
    socket.end();
  }

  const listener = createServer({ pauseOnConnect: true });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as AddressInfo;
  // Connections queue up here until the server task accepts them (several may arrive at once).
  const arrived: Socket[] = [];
  let wake: (() => void) | undefined;
  listener.on('connection', (socket: Socket) => {
    arrived.push(socket);
    wake?.();
  });
  const accept = (): Promise<Socket> =>
    new Promise((resolve) => {
      const take = (): void => {
        const socket = arrived.shift();
        if (!socket) return;
        wake = undefined;
        resolve(socket);
      };
      wake = take;
      take();
    });

  function* server(): TaskBody<void> {
    const handlers: number[] = [];
    for (let i = 0; i < connections; i++) {
      const socket = yield* awaitPromise(accept());
      handlers.push(yield* newTask(handler(socket)));
    }
    listener.close();
    for (const tid of handlers) yield* waitTask(tid);
  }

  const scheduler = new Scheduler({ label: pool ? 'with pool' : 'no pool' });
  scheduler.spawn(server());
  return { port, done: scheduler.run().then(() => run) };
}
