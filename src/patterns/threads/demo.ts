/**
 * Demo: the same prime counting on worker threads and on forked processes, side by side: start-up time,
 * memory and throughput, with the main thread alone as the baseline; then when to pick which.
 * Try: concur demo threads
 */
import { availableParallelism } from 'node:os';
import { exitOnSignals } from '../../process/children.js';
import { runCpuWork, type CpuRun } from './threads.js';
import { countPrimes } from '../../work/primes.js';
import type { DemoContext } from '../demo-context.js';

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

export default async function threadsDemo(context: DemoContext): Promise<number> {
  const workers = (context.options.workers ?? Math.max(2, availableParallelism())) as number;
  const limit = (context.options.size ?? 3_000_000) as number;
  const chunks = (context.options.chunks ?? 40) as number;
  const { events } = context;
  exitOnSignals();

  context.step(`Counting primes below ${limit.toLocaleString('en')} in ${chunks} chunks`);
  context.say(
    '  Why not just threads, as in Python? In CPython a thread must hold the Global Interpreter Lock to\n' +
      '  run Python code, and only one thread holds it at a time: threads take turns on one core, so CPU-bound\n' +
      '  work gets no faster (they help only while waiting for I/O, when the lock is let go). That is why the\n' +
      '  chapter reaches for processes. Node has no such lock: each worker thread runs its own V8 isolate with\n' +
      '  its own heap and event loop, so threads compute in parallel, one per core, like processes do.',
  );
  const baselineStart = performance.now();
  events.start(events.self, 'count alone', { limit });
  const expected = countPrimes(limit);
  events.end(events.self, 'count alone', { limit, primes: expected });
  const baselineMs = performance.now() - baselineStart;
  context.say(
    `  main thread alone: ${baselineMs.toFixed(0)} ms, ${(limit / (baselineMs / 1000) / 1e6).toFixed(1)} M numbers/s`,
  );
  const header = 'kind\tworkers\tstartup_ms\tmemory_mb\twork_ms\tnumbers_per_s\tprimes';
  if (!context.json) await context.result(header);
  const runs: CpuRun[] = [];
  for (const kind of ['thread', 'process'] as const) {
    context.say(`  ${workers} ${kind === 'thread' ? 'worker threads' : 'forked processes'}…`);
    const run = await runCpuWork(kind, workers, limit, chunks);
    runs.push(run);
    events.emit('parent', process.pid, 'result', { ...run, baselineMs });
    if (!context.json)
      await context.result(
        [
          kind,
          run.workers,
          run.startupMs.toFixed(0),
          mb(run.memoryBytes),
          run.workMs.toFixed(0),
          Math.round(run.throughput),
          run.primes,
        ].join('\t'),
      );
    if (run.primes !== expected) {
      context.say(`  ${kind}s counted ${run.primes} primes, but the main thread counted ${expected}: a bug.`);
      return 1;
    }
  }
  const [thread, proc] = runs as [CpuRun, CpuRun];
  context.say(
    `\n  start-up: processes took ${(proc.startupMs / thread.startupMs).toFixed(1)}× as long as threads ` +
      `(${thread.startupMs.toFixed(0)} vs ${proc.startupMs.toFixed(0)} ms for ${workers});\n` +
      `  memory: about ${mb(thread.memoryBytes / workers)} MB more per thread, ${mb(proc.memoryBytes / workers)} MB per process (a whole Node each);\n` +
      `  throughput: ${(thread.throughput / 1e6).toFixed(1)} vs ${(proc.throughput / 1e6).toFixed(1)} M numbers/s ` +
      `(speed-up over the main thread alone: ${(thread.throughput / (limit / (baselineMs / 1000))).toFixed(1)}× and ` +
      `${(proc.throughput / (limit / (baselineMs / 1000))).toFixed(1)}×, on ${availableParallelism()} cores).`,
  );
  const best = Math.max(thread.throughput, proc.throughput) / (limit / (baselineMs / 1000));
  if (best < 0.7 * Math.min(workers, availableParallelism()))
    context.say(
      `  (The speed-up is well below ${Math.min(workers, availableParallelism())}×: other programs were using the cores during this run.)`,
    );
  context.say(
    '  Once running, both compute at the same speed: each is a V8 on its own core. Pick threads for hot CPU\n' +
      '  work inside one program, many short jobs, or shared memory. Pick processes for isolation: a crash,\n' +
      '  a leak or a hang stays in its process, which can be killed, restarted and supervised on its own.',
  );
  return 0;
}
