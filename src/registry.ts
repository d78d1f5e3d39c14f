/**
 * The one list of patterns. It feeds `concur demo` (the list and its choices), the help text, and the README.
 * Each entry loads its demo lazily, so starting concur costs the same however many patterns there are.
 */
import type { Command } from 'commander';
import { parseCount, parseCountOrZero, parseSeconds } from './options.js';
import type { DemoContext } from './patterns/demo-context.js';

/** A teachable pattern with a runnable demo. */
export interface Pattern {
  /** The name used in `concur demo <name>`. */
  name: string;
  /** One line: what the demo shows. */
  summary: string;
  /**
   * The source examples the demo covers (Beazley's course files, the multiprocessing docs, OTP), so a
   * learner coming from one of them finds the demo that shows it.
   */
  sources: readonly string[];
  /** Add demo-specific options (e.g. `--strategy`) to its `concur demo <name>` command. */
  options?: (command: Command) => void;
  /** Load and run the demo; resolves with an exit code (0 when omitted). */
  run: (context: DemoContext) => Promise<number | void>;
}

/** Every pattern concur can demonstrate, in teaching order. */
export const patterns: readonly Pattern[] = [
  {
    name: 'spinner',
    summary: 'a forked child keeps a spinner turning while the parent blocks on CPU work',
    sources: ['spinner.py (Simionato, 2009)', 'multiprocessing Process', 'Fluent Python spinner_proc.py'],
    options: (command) => command.option('--size <n>', 'count primes below n', parseCount),
    run: async (context) => (await import('./patterns/spinner/demo.js')).default(context),
  },
  {
    name: 'coroutine',
    summary:
      'generators that receive values: priming, close/throw, push pipelines, broadcast, a child process',
    sources: [
      'countdown.py',
      'grep.py',
      'grepclose.py',
      'cofollow.py',
      'copipe.py',
      'cobroadcast.py',
      'cobroadcast2.py',
      'cocrash.py',
      'coprocess.py',
    ],
    run: async (context) => (await import('./patterns/coroutine/demo.js')).default(context),
  },
  {
    name: 'generators',
    summary:
      'from pull pipelines to async/await: coroutines vs objects (timed), a bus state machine, tasks, yield*',
    sources: [
      'pipeline.py (follow, grep)',
      'genlog.py',
      'benchmark.py',
      'buses.py',
      'bogus.py',
      'task.py',
      'trampoline.py',
      'pyos8 call stack',
    ],
    run: async (context) => (await import('./patterns/generators/demo.js')).default(context),
  },
  {
    name: 'scheduler',
    summary: 'a cooperative scheduler where yield is a system call: task ids, new/kill/wait, sleep and I/O',
    sources: ['pyos2.py … pyos8.py (task ids, NewTask, KillTask, WaitTask, sleep, I/O waits, echo server)'],
    run: async (context) => (await import('./patterns/scheduler/demo.js')).default(context),
  },
  {
    name: 'server',
    summary:
      'generator tasks serve several connections; a slow request stalls them all, unless a process pool takes it',
    sources: [
      'aserver.py ("Python Concurrency From the Ground Up", PyCon 2015)',
      'ProcessPoolExecutor',
      'pyos8 I/O waits',
    ],
    run: async (context) => (await import('./patterns/server/demo.js')).default(context),
  },
  {
    name: 'basics',
    summary:
      "multiprocessing's first examples: a child's pid and ppid, [42, null, 'hello'] over IPC, shared Value/Array",
    sources: [
      'multiprocessing Process and info()',
      "Queue and Pipe ([42, None, 'hello'])",
      'Value and Array',
    ],
    run: async (context) => (await import('./patterns/basics/demo.js')).default(context),
  },
  {
    name: 'pipeline',
    summary: 'three stage processes joined by OS pipes stream a text at the same time, with backpressure',
    sources: ['Generator Tricks pipelines (genlog, gencat, gengrep)', 'Unix pipes'],
    run: async (context) => (await import('./patterns/pipeline/demo.js')).default(context),
  },
  {
    name: 'fan-out',
    summary: 'a pool of worker processes tests numbers for primality; speed-up, who did what, crash recovery',
    sources: ['multiprocessing Pool (map, imap_unordered)', 'ProcessPoolExecutor primes example'],
    options: (command) =>
      command.option('-j, --jobs <n>', 'worker processes (default: one per core)', parseCount),
    run: async (context) => (await import('./patterns/fan-out/demo.js')).default(context),
  },
  {
    name: 'supervisor',
    summary: 'a supervisor restarts crashing worker processes (one_for_one, one_for_all, rest_for_one)',
    sources: [
      'OTP supervisor (one_for_one, one_for_all, rest_for_one, intensity)',
      'Erlang links and monitors',
      'trap_exit',
    ],
    options: (command) =>
      command
        .addOption(
          command
            .createOption('--strategy <name>', 'which workers restart when one dies')
            .choices(['one_for_one', 'one_for_all', 'rest_for_one'])
            .default('one_for_one'),
        )
        .addOption(
          command
            .createOption(
              '--restart <type>',
              'also show what one restart type does with a normal exit and a crash',
            )
            .choices(['permanent', 'transient', 'temporary']),
        )
        .option('--max-restarts <r>', 'restart intensity: at most r restarts...', parseCountOrZero, 1)
        .option('--period <seconds>', '...in this many seconds (Erlang: 1 in 5 s)', parseSeconds, 5)
        .option('--seed <n>', 'which crashes happen, and in what order', parseCountOrZero, 1)
        .option('--workers <n>', 'how many workers to supervise', parseCount, 3)
        .option('--crashes <n>', 'how many crashes to inject', parseCountOrZero, 3),
    run: async (context) => (await import('./patterns/supervisor/demo.js')).default(context),
  },
  {
    name: 'actors',
    summary: 'a key-value manager process owns its data; client processes reach it only by messages',
    sources: ['multiprocessing Manager (server process with proxies)', 'Erlang gen_server'],
    options: (command) =>
      command
        .option('--clients <n>', 'client processes talking to the manager at once', parseCount, 3)
        .option('--increments <n>', 'increments of the shared counter per client', parseCount, 3)
        .option('--no-trace', 'do not print the message trace (for large runs)'),
    run: async (context) => (await import('./patterns/actors/demo.js')).default(context),
  },
  {
    name: 'queue',
    summary: 'a worker/queue farm with a STOP sentinel: "worker 2 says that mul(3, 7) = 21"',
    sources: ['mp_workers.py (Queue and the STOP sentinel)'],
    options: (command) =>
      command
        .option('--workers <n>', 'worker processes', parseCount, 4)
        .option(
          '--tasks <n>',
          'mul tasks in the first batch (the plus batch is half as many)',
          parseCount,
          20,
        )
        .option('--delay <ms>', 'longest pretend work per task, in ms', parseCountOrZero, 100)
        .option('--seed <n>', 'seed for the pretend work times', parseCountOrZero, 1),
    run: async (context) => (await import('./patterns/queue/demo.js')).default(context),
  },
  {
    name: 'shared-memory',
    summary: 'worker threads race on a SharedArrayBuffer; Atomics fix it; messages share nothing',
    sources: ['multiprocessing Value and Array', 'SharedArrayBuffer and Atomics'],
    options: (command) =>
      command
        .option('--threads <n>', 'worker threads counting at once', parseCount, 4)
        .option('--increments <n>', 'increments per thread', parseCount, 1_000_000),
    run: async (context) => (await import('./patterns/shared-memory/demo.js')).default(context),
  },
  {
    name: 'locks',
    summary: 'threads write one log without and with a mutex (Atomics.wait/notify); deadlock and its cures',
    sources: [
      'multiprocessing Lock (hello world)',
      'pyos6 WaitTask cycles',
      'deadlock by ordering and timeouts',
    ],
    run: async (context) => (await import('./patterns/locks/demo.js')).default(context),
  },
  {
    name: 'threads',
    summary: 'the same CPU work on worker threads and forked processes: start-up, memory, throughput',
    sources: ['threading vs multiprocessing and the GIL (Noller, 2009)', 'worker_threads vs child_process'],
    options: (command) =>
      command
        .option(
          '--workers <n>',
          'threads or processes of each kind (default: the number of cores)',
          parseCount,
        )
        .option('--size <n>', 'count primes below n', parseCount, 3_000_000)
        .option('--chunks <n>', 'pieces the work is cut into', parseCount, 40),
    run: async (context) => (await import('./patterns/threads/demo.js')).default(context),
  },
  {
    name: 'async',
    summary: 'many waits overlapped on one event loop, and how a CPU-bound loop stalls them all',
    sources: ['asyncio / the event loop', 'spinner_async.py (Fluent Python)'],
    options: (command) =>
      command
        .option('--waits <n>', 'timers started together', parseCount, 1000)
        .option('--block <ms>', 'how long the CPU-bound loop holds the event loop', parseCount, 500)
        .option('--seed <n>', 'seed for the timer durations', parseCountOrZero, 1),
    run: async (context) => (await import('./patterns/async/demo.js')).default(context),
  },
  {
    name: 'distributed',
    summary: 'the same fan-out over Redis (BullMQ): two worker hosts, one killed mid-run, nothing lost',
    sources: ['multiprocessing managers over a network', 'BullMQ on Redis'],
    options: (command) =>
      command
        .option('--broker <url>', 'use this Redis instead of starting a throwaway redis-server')
        .option('--items <n>', 'how many items to fan out (default 240)', parseCount),
    run: async (context) => (await import('./patterns/distributed/demo.js')).default(context),
  },
];

/** Look a pattern up by name. */
export function findPattern(name: string): Pattern | undefined {
  return patterns.find((pattern) => pattern.name === name);
}
