/**
 * Demo: concurrency from the ground up (Beazley's aserver.py). Generator tasks on the cooperative scheduler
 * serve three loopback connections: one asks for a slow fib(n), two keep pinging. Computed in the server's
 * own thread, fib stalls every ping; sent to a process pool, it does not. Results on stdout (what the
 * server counted), timings on stderr.
 * Use it to see what an event loop overlaps (waits) and what it cannot (computation).
 * Try: concur demo server
 */
import { fileURLToPath } from 'node:url';
import { forkChild } from '../../process/children.js';
import { receiveFrom } from '../../process/messages.js';
import { terminate } from '../../process/supervision.js';
import { recorder } from '../../trace/events.js';
import { FibPool } from './pool.js';
import { isFromClient, type FromClient } from './protocol.js';
import { startServer, type ServerRun } from './server.js';
import type { DemoContext } from '../demo-context.js';

const clientChildPath = fileURLToPath(new URL('./client.child.js', import.meta.url));

const N = 36;
const PINGERS = 2;
const PINGS = 3;

type Report = Extract<FromClient, { type: 'report' }>;

// Start a server, let the client process talk to it, and resolve with what both saw.
async function session(pool?: FibPool): Promise<{ server: ServerRun; client: Report; clientPid: number }> {
  const server = await startServer(1 + PINGERS, pool);
  const child = forkChild(clientChildPath);
  recorder.child(child, 'clients');
  const report = new Promise<Report>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      reject(new Error(`the client process exited (code ${code}) before reporting`)),
    );
    receiveFrom(child, isFromClient, (message) => {
      if (message.type === 'ready')
        child.send({ type: 'start', port: server.port, n: N, pingers: PINGERS, pings: PINGS });
      else resolve(message);
    });
  });
  const [client, run] = await Promise.all([report, server.done]);
  await terminate(child);
  return { server: run, client, clientPid: child.pid ?? 0 };
}

export default async function serverDemo(context: DemoContext): Promise<number> {
  const pings = PINGERS * PINGS;
  context.say('  A server of generator tasks on one scheduler (one thread): a task per connection, each');
  context.say('  waiting in readWait until its socket has data, as aserver.py waits in select().');
  context.say(`  Three connections: one sends "fib ${N}" (a slow recursive sum); once the server says it is`);
  context.say(`  working on it, the other two send "ping" ${PINGS} times each, one at a time.`);

  context.step('1. fib computed by the server itself');
  const alone = await session();
  await context.result(`without a pool: ${alone.client.answer}`);
  await context.result(
    `without a pool: pings answered while fib ran: ${alone.server.pingsDuringFib} of ${pings}`,
  );
  context.say(
    `  the slowest ping took ${alone.client.longestPingMs} ms: every ping waited for fib to finish.`,
  );
  context.say('  A task only gives up the thread at a yield; fib(n) has none, so while it runs the loop');
  context.say('  cannot reach readWait for anyone else. Their requests sit in the kernel, unread.');

  context.step('2. fib sent to a process pool');
  const pool = new FibPool(1);
  await pool.ready;
  context.say(`  pool worker: pid ${pool.pids.join(', ')}. The handler yields awaitPromise(pool.submit(n)):`);
  context.say('  to the scheduler, waiting for the pool is one more wait, like waiting for a socket.');
  let withPool;
  try {
    withPool = await session(pool);
  } finally {
    await pool.close();
  }
  await context.result(`with a pool: ${withPool.client.answer}`);
  await context.result(
    `with a pool: pings answered while fib ran: ${withPool.server.pingsDuringFib} of ${pings}`,
  );
  context.say(
    `  the slowest ping took ${withPool.client.longestPingMs} ms: the loop stayed free to answer them.`,
  );
  context.say('  Waits overlap on an event loop; computation does not. Hand CPU work to another process (or');
  context.say('  a worker thread) and wait for its answer like any other I/O.');
  return 0;
}
