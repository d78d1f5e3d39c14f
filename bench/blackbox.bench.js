// Black boxes, measured: worker threads vs forked processes (start-up, memory, throughput on the same prime
// counting), the supervisor's restart latency (DOWN to restarted child ready), and the shared counter's
// cost per increment by method. Medians of several runs. Uses the built library in dist/.
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median, table } from './lib.js';

const { runCpuWork } = await import('../dist/patterns/threads/threads.js');
const { countWithThreads } = await import('../dist/patterns/shared-memory/shared-memory.js');
const { Supervisor, forkLinked } = await import('../dist/patterns/supervisor/supervisor.js');

const cores = availableParallelism();
const runs = 5;

// Threads vs processes.
const rows = [];
for (const kind of ['thread', 'process']) {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await runCpuWork(kind, cores, 4_000_000, 40));
  rows.push([
    kind,
    cores,
    median(results.map((r) => r.startupMs)).toFixed(0),
    (median(results.map((r) => r.memoryBytes)) / cores / 2 ** 20).toFixed(1),
    (median(results.map((r) => r.throughput)) / 1e6).toFixed(2),
  ]);
}
console.log(`threads vs processes (${runs} runs each, median; ${cores} workers, primes below 4,000,000)\n`);
table(['kind', 'workers', 'start-up ms (all)', 'MB per worker', 'M numbers/s'], rows);

// Supervisor restart latency: crash a worker, time until its replacement is ready.
const workerPath = fileURLToPath(new URL('../dist/patterns/supervisor/worker.child.js', import.meta.url));
let downAt = 0;
const latencies = [];
let restarted = () => {};
const supervisor = new Supervisor(
  [{ id: 'w', start: () => forkLinked(workerPath, ['w'], (m) => m.type === 'ready') }],
  {
    maxRestarts: 1000,
    onEvent: (e) => {
      if (e.type === 'down') downAt = performance.now();
      if (e.type === 'started' && e.restarts > 0) {
        latencies.push(performance.now() - downAt);
        restarted();
      }
    },
  },
);
await supervisor.start();
for (let i = 0; i < 15; i++) {
  const done = new Promise((resolve) => (restarted = resolve));
  supervisor.child('w')?.send({ type: 'crash', crash: { how: 'signal', signal: 'SIGKILL' } });
  await done;
}
await supervisor.stop();
console.log('\nsupervisor restart latency (DOWN to replacement ready, 15 SIGKILLs)\n');
table(
  ['figure', 'median ms', 'max ms'],
  [['restart', median(latencies).toFixed(1), Math.max(...latencies).toFixed(1)]],
);

// Shared counter: cost per increment.
const counting = [];
for (const mode of ['racy', 'atomic', 'message-each', 'message-total']) {
  const increments = mode === 'message-each' ? 100_000 : 2_000_000;
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await countWithThreads(mode, cores, increments));
  counting.push([
    mode,
    ((median(results.map((r) => r.ms)) * 1e6) / (cores * increments)).toFixed(2),
    median(results.map((r) => r.lost)),
  ]);
}
console.log(`\nshared counter, ${cores} threads (${runs} runs each, median)\n`);
table(['method', 'ns per increment', 'updates lost'], counting);
