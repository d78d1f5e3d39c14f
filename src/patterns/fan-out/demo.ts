/**
 * Demo: fan-out / fan-in, narrated. A pool of worker processes tests large numbers for primality (the
 * ProcessPoolExecutor example from Python's docs), first with one worker, then with one per core: who did what,
 * and the measured speed-up. Then a worker is killed mid-run: its monitor reports it, a replacement starts,
 * and only the items in flight on it run again. Last, an item that takes too long is bounded by a timeout.
 * Try: concur demo fan-out
 */
import { availableParallelism, loadavg } from 'node:os';
import { WorkerPool, type ItemResult, type PoolEvent } from './pool.js';
import { describeReason } from '../../process/supervision.js';
import type { DemoContext } from '../demo-context.js';

// From the ProcessPoolExecutor example in Python's concurrent.futures docs, twice over.
const NUMBERS = [
  '112272535095293',
  '112582705942171',
  '112272535095293',
  '115280095190773',
  '115797848077099',
  '1099726899285419',
];
const ITEMS = [...NUMBERS, ...NUMBERS].map((input, index) => ({ index, input }));

export default async function fanOutDemo(context: DemoContext): Promise<number> {
  const jobs = context.options.jobs === undefined ? availableParallelism() : Number(context.options.jobs);
  const { events } = context;
  // The pool records its own events (spawns, batches sent and answered, crashes, restarts); this only narrates.
  const narrate = (event: PoolEvent): void => {
    const role = `worker ${event.worker}`;
    switch (event.type) {
      case 'spawn':
        context.say(`  forked ${role}: pid ${event.pid}`);
        return;
      case 'crash':
        context.say(
          `  ${role} (pid ${event.pid}) went down: ${describeReason(event.reason)}, ${event.inFlight} item(s) in flight`,
        );
        return;
      case 'restart':
        context.say(
          `  the pool started a replacement ${role}: pid ${event.pid}; the lost items go back in the queue`,
        );
        return;
      default:
        return;
    }
  };

  context.step(`1. One worker process`);
  context.say(`${ITEMS.length} numbers to test for primality by trial division (about 0.1 s each).`);
  const one = await timedRun(1, () => {});
  context.say(`  one worker: ${(one.ms / 1000).toFixed(2)} s`);

  context.step(`2. Fan out to ${jobs} worker processes, fan the results back in`);
  const many = await timedRun(jobs, narrate);
  for (const result of many.results)
    await context.result(`${result.input} is prime: ${result.output}`, { ...result });
  const perWorker = new Map<number, number>();
  for (const result of many.results) perWorker.set(result.worker, (perWorker.get(result.worker) ?? 0) + 1);
  for (const [worker, count] of [...perWorker].sort(([a], [b]) => a - b))
    context.say(`  worker ${worker} tested ${count} number(s)`);
  const speedup = one.ms / many.ms;
  context.say(
    `  ${jobs} workers: ${(many.ms / 1000).toFixed(2)} s, ${speedup.toFixed(2)}× the speed of one ` +
      `(results in input order, each from whichever worker was free)`,
  );
  events.emit('parent', process.pid, 'note', { oneMs: one.ms, manyMs: many.ms, jobs, speedup });
  const [load = 0] = loadavg();
  context.say(
    `  Why the speed-up can read below ${jobs}×: it is wall time, so it counts every moment a worker`,
  );
  context.say('  waits for a core that another program (or another test run) is using; with only a dozen');
  context.say('  items, starting the pool and one slow item at the end weigh a lot too. Load average now:');
  context.say(
    `  ${load.toFixed(1)} on ${availableParallelism()} core(s); above the core count, the workers took turns.`,
  );

  context.step('3. A worker dies mid-run');
  context.say('  the parent SIGKILLs worker 1 while it is busy; its monitor tells the pool.');
  const pool = await WorkerPool.start({ worker: 'is-prime', jobs, onEvent: narrate });
  try {
    let killed = false;
    pool.on('event', (event) => {
      // The first answer proves the workers are busy: kill worker 1 now, with work in flight.
      if (event.type === 'batch' && !killed) {
        killed = true;
        const victim = pool.workers[0];
        if (victim) process.kill(victim.pid, 'SIGKILL');
      }
    });
    const results = await pool.run(ITEMS);
    const retried = results.filter((r) => r.attempts > 1).length;
    const failed = results.filter((r) => r.error !== undefined).length;
    context.say(
      `  all ${results.length} items answered once each; ${retried} ran twice (they were on the dead worker), ` +
        `${failed} failed.`,
    );
    events.emit('parent', process.pid, 'note', { items: results.length, retried, failed });
  } finally {
    await pool.close();
  }
  context.say('  Share nothing, exchange messages, watch each other fail: the pool is a little supervisor.');

  context.step('4. An item that takes too long');
  context.say(
    "  Python's apply_async(...).get(timeout) raises TimeoutError when a result is late. Here every item has",
  );
  context.say(
    '  a bound (timeoutMs, --timeout): a worker still busy on one item past it is killed and replaced,',
  );
  context.say(
    '  the item fails as "timed out", and the others go on. Counting the primes below 10^9 takes minutes.',
  );
  const bounded = await WorkerPool.start({ worker: 'count-primes', jobs: 1, timeoutMs: 2000, retries: 0 });
  try {
    const inputs = ['1000', '1000000000', '10000'];
    const results = await bounded.run(inputs.map((input, index) => ({ index, input })));
    for (const result of results)
      context.say(`  primes below ${result.input}: ${result.error ?? result.output}`);
    const timedOut = results.filter((r) => r.error !== undefined).length;
    events.emit('parent', process.pid, 'note', { timeoutMs: 2000, timedOut });
  } finally {
    await bounded.close();
  }
  return 0;
}

// Start a pool, run every item, stop it: how long did the run itself take?
async function timedRun(
  jobs: number,
  onEvent: (event: PoolEvent) => void,
): Promise<{ results: ItemResult[]; ms: number }> {
  const pool = await WorkerPool.start({ worker: 'is-prime', jobs, onEvent });
  try {
    const started = performance.now();
    const results = await pool.run(ITEMS);
    return { results, ms: performance.now() - started };
  } finally {
    await pool.close();
  }
}
