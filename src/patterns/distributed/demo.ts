/**
 * Demo: distributed fan-out, narrated. A throwaway redis-server (or `--broker`), two `concur worker` processes
 * standing in for two machines, a CPU-bound job fanned out over them, and one "machine" killed with SIGKILL
 * mid-run: its batches come back after their lock expires, and the other host finishes them. Every result is
 * written once, in input order.
 * Try: concur demo distributed
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasRedisServer, startLocalRedis, type LocalRedis } from './local-redis.js';
import { BROKER_ENV, parseBrokerUrl } from './redis.js';
import { ConcurError } from '../../process/errors.js';
import { map, type CoordinatorEvent } from './coordinator.js';
import { forkChild } from '../../process/children.js';
import type { DemoContext } from '../demo-context.js';

const concurBin = fileURLToPath(new URL('../../../bin/concur.js', import.meta.url));
// A short lock, so the killed host's batches come back within about two seconds.
const LOCK_MS = 1500;

interface DemoHost {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export default async function distributedDemo(context: DemoContext): Promise<number> {
  const { events } = context;
  const me = process.pid;
  const given = typeof context.options.broker === 'string' ? context.options.broker : undefined;
  const items = Number(context.options.items ?? 240);
  // A bad --broker is a usage error now, before any host is started.
  if (given) parseBrokerUrl(given);

  context.step('1. A broker');
  let redis: LocalRedis | undefined;
  let broker: string;
  if (given) broker = given;
  else if (hasRedisServer()) {
    redis = await startLocalRedis({ guard: true });
    broker = redis.url;
    context.say(
      `started a throwaway redis-server on ${broker} (pid ${redis.pid}); it goes when the demo does.`,
    );
    events.spawn({ role: 'redis-server', pid: redis.pid }, { broker: parseBrokerUrl(broker).display });
  } else {
    context.say('This demo needs Redis. Install it (`apt-get install redis-server`) and run the demo again,');
    context.say(
      'or start one in a container (`docker run -p 6379:6379 redis:7`) and pass --broker redis://127.0.0.1:6379.',
    );
    return 2;
  }
  const queue = `demo-${process.pid}`;

  const hosts: DemoHost[] = [];
  try {
    context.step('2. Two worker hosts');
    context.say(
      'Each runs `concur worker`: its own pool of worker processes, fed from the queue. On real machines',
    );
    context.say('you would start one per machine; here two processes play the part.');
    for (const name of ['host-a', 'host-b']) hosts.push(await startHost(context, broker, queue, name));

    context.step(`3. Fan out ${items} CPU-bound items (count the primes below n)`);
    context.say(
      'The coordinator cuts the input into batches (small at first, then sized by measured time), puts',
    );
    context.say('them in the queue, and writes results in input order as they come back.');
    const inputs = Array.from({ length: items }, (_, i) => String(400_000 + i * 1000));
    const byHost = new Map<string, number>();
    let done = 0;
    let batches = 0;
    let killed = false;
    let lastTally = 0;
    // "host-a 40 · host-b 35 (75/240)": who has done what, at most twice a second.
    const tally = (force = false): void => {
      if (!force && Date.now() - lastTally < 500) return;
      lastTally = Date.now();
      const parts = [...byHost].map(([host, count]) => `${host} ${count}`).join(' · ');
      context.say(`  ${parts}  (${done}/${items} done)`);
    };
    const victim = hosts[1] as DemoHost;
    const onEvent = (event: CoordinatorEvent): void => {
      switch (event.type) {
        case 'done':
          done += event.count;
          byHost.set(event.host, (byHost.get(event.host) ?? 0) + event.count);
          if (++batches <= 4)
            context.say(
              `  ${event.host} finished a batch of ${event.count} (${Math.round(event.elapsedMs)} ms)`,
            );
          else tally();
          if (!killed && done >= items / 3) {
            killed = true;
            tally(true);
            context.say(`  ✂ killing ${victim.name} (pid ${victim.child.pid}) with SIGKILL, mid-run`);
            events.emit('parent', me, 'note', {
              kill: victim.name,
              pid: victim.child.pid,
              signal: 'SIGKILL',
            });
            victim.child.kill('SIGKILL');
          }
          return;
        case 'stalled':
          context.say(
            `  batch ${event.jobId}: its host stopped renewing the lock; BullMQ puts it back for host-a`,
          );
          return;
        case 'failed':
          context.say(`  batch ${event.jobId} failed: ${event.reason}`);
          return;
        case 'connected':
          context.say(`  run ${event.run} on queue '${event.queue}'`);
          return;
        case 'sent':
        case 'no-hosts':
        case 'silent':
        case 'reconnected':
        case 'resent':
          return;
        default: {
          const unknown: never = event;
          throw new Error(`demo: unknown event ${JSON.stringify(unknown)}`);
        }
      }
    };
    let expected = 0;
    let failed = 0;
    for await (const result of map(inputs, { broker, queue, onEvent })) {
      if (result.index !== expected++) throw new Error(`result ${result.index} out of order`);
      if (result.error !== undefined) failed++;
      await context.result(`${result.input}\t${result.output ?? result.error}\t${result.host}`, {
        index: result.index,
        input: result.input,
        output: result.output,
        host: result.host,
      });
    }

    tally(true);
    context.step('4. What happened');
    for (const [host, count] of byHost) context.say(`  ${host} ran ${count} items`);
    context.say(`  ${expected} results, each written once and in input order, ${failed} failed.`);
    context.say(
      `  ${victim.name} died holding batches; after its ${LOCK_MS} ms lock expired, the stalled-job check`,
    );
    context.say('  moved them back to the queue and host-a ran them: the run lost time, not items.');
    return failed > 0 ? 1 : 0;
  } finally {
    for (const host of hosts)
      if (host.child.exitCode === null && host.child.signalCode === null) host.child.kill('SIGTERM');
    await Promise.all(hosts.map((host) => host.exited));
    await redis?.stop();
    if (redis) events.emit('redis-server', redis.pid, 'exit');
  }
}

// Start `concur worker` as a forked child (so it exits with this process) and wait for its ready line.
async function startHost(
  context: DemoContext,
  broker: string,
  queue: string,
  name: string,
): Promise<DemoHost> {
  // The URL (a password, maybe) goes through the environment: argv shows in `ps` and in traces.
  const args = ['worker', '--queue', queue, '--name', name, '-j', '1'];
  args.push('--worker', 'count-primes', '--lock-ms', String(LOCK_MS));
  const child = forkChild(concurBin, args, {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, [BROKER_ENV]: broker },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      seen += chunk;
      if (seen.includes('ready, pulling')) resolve();
    });
    // The host's own one-line error says what went wrong (an unreachable broker, say): pass it on as ours.
    child.once('exit', () =>
      reject(new ConcurError(`${name} stopped before it was ready: ${seen.trim().replace(/^concur: /, '')}`)),
    );
  });
  context.say(`  ${name}: pid ${child.pid}, one worker process, module count-primes`);
  // The host's track: its batches come from the results it sends (the pattern records them); its end here.
  // The host killed mid-run stands for a machine lost: a crash, though this demo sent the SIGKILL.
  const ref = { role: name, pid: child.pid ?? 0 };
  context.events.spawn(ref, { host: true, queue });
  child.once('exit', (code, signal) => {
    const clean = code === 0 || code === 143 || signal === 'SIGTERM';
    context.events.emit(ref.role, ref.pid, clean ? 'exit' : 'crash', { code, signal });
  });
  return { name, child, exited };
}
