/**
 * `concur fan-out`: run every line of stdin through a worker module in a pool of forked processes and write one
 * line per item to stdout, in input order (or as finished with --unordered). Failures go to stderr and make the
 * exit code 1; worker crashes are retried and reported; progress shows on stderr when it is a terminal.
 */
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { onStdoutClosed, say, stderrPolicy, style } from '../terminal/output.js';
import { hintTerminalInput } from '../terminal/stdin-hint.js';
import { UsageError } from '../process/errors.js';
import type { PoolEvent, WorkerPool } from '../patterns/fan-out/pool.js';
import { killAll, exitOnSignals } from '../process/children.js';
import { describeReason } from '../process/supervision.js';
import { parseCount, parseCountOrZero, parseDuration, parseJobs } from '../options.js';
import { checkInput, openStdin } from '../terminal/input.js';
import { formatDuration } from '../patterns/fan-out/task.js';
import { ProgressLine, writeResults, type FanOutFlags } from './fan-out-output.js';
import { addCommandMode } from './fan-out-commands.js';

/** Add `concur fan-out` to the program. */
export function registerFanOut(program: Command): void {
  const fanOut = program
    .command('fan-out')
    .description(
      'run each line of stdin through a worker module in a pool of processes; one output line each',
    )
    .option(
      '-j, --jobs <n>',
      'worker processes: N, N% of the cores, or +N/-N relative to them (default: one per core)',
      (value: string) => parseJobs(value, availableParallelism()),
    )
    .option(
      '--worker <module>',
      'a path to a .js module, or a built-in: identity, upper, is-prime, count-primes',
      'identity',
    )
    .option('--unordered', 'write results as they finish instead of in input order')
    .option(
      '--retries <n>',
      'extra attempts for an item whose worker died while running it',
      parseCountOrZero,
      1,
    )
    .option(
      '--timeout <duration>',
      'fail an item that runs longer (500ms, 10s, 2m); its worker is killed and replaced',
      parseDuration,
    )
    .option('--max-restarts <n>', 'give up after more than n worker restarts within 5 s', parseCount, 10)
    .option('--json', 'one JSON object per item: {index, input, output|error, worker, pid, attempts}')
    .option('--no-progress', 'no progress line on stderr (it is only drawn on a terminal anyway)')
    .option(
      '--load-timeout <duration>',
      'give up (exit 2) on a worker module still loading after this long (500ms, 10s, 2m)',
      parseDuration,
      10_000,
    )
    .option(
      '--broker [url]',
      'send the items to `concur worker` hosts through Redis (redis://host:6379); alone: the URL from CONCUR_BROKER',
    )
    .option(
      '--broker-file <path>',
      'like --broker, the URL read from the first line of a file (keeps it out of ps)',
    )
    .option('--queue <name>', 'with --broker: the queue the hosts pull from (default: concur)')
    .addHelpText(
      'after',
      `
Worker module: its default export takes a line (string) and returns a string, or a promise of one:
  export default function (line) { return line.split('').reverse().join(''); }

Examples:
  seq 1000000 | concur fan-out -j 2                  the identity worker: output = input, in order
  seq 1e14 1e14+50 | concur fan-out --worker is-prime  CPU-bound: true/false per line, on every core
  concur fan-out --worker ./hash.js < urls.txt       your own module
  cat items | concur fan-out --json | jq -c 'select(.error)'   only the failures

Output: one line per input line, in input order (--unordered: as they finish). A failed item writes no stdout
line (with --json it writes {"error": ...}); it is reported on stderr and concur exits 1 at the end. An item
whose worker process dies is retried on a fresh worker (--retries, default 1); a worker that keeps dying stops
concur (exit 1). An item that runs past --timeout fails as "timed out after 10s" and its worker is killed
and replaced (it counts as a death for --retries). A bad module, or a -j this machine cannot hold, exits 2
before any input is read.`,
    )
    .action(async (flags: FanOutFlags, command: Command) => {
      // Same input, output, records and exit codes; the items go to worker hosts instead of a local pool.
      if (flags.broker !== undefined || flags.brokerFile !== undefined || flags.queue !== undefined)
        return (await import('./fan-out-broker.js')).fanOutOnBroker(flags, command);
      checkInput();
      const { WorkerPool } = await import('../patterns/fan-out/pool.js');
      if (flags.jobs !== undefined) {
        const { jobCapacity, NODE_WORKER_JOB, readMachineFacts } =
          await import('../patterns/fan-out/job-limits.js');
        const capacity = jobCapacity(readMachineFacts(), NODE_WORKER_JOB);
        if (flags.jobs > capacity.max)
          throw new UsageError(
            `-j ${flags.jobs} is more workers than this machine can hold: the largest safe value is ` +
              `-j ${capacity.max} (${capacity.reason}).`,
          );
      }
      const progress = flags.progress && stderrPolicy.animate ? new ProgressLine() : undefined;
      const started: { pool?: WorkerPool } = {};
      // Installed first, so Ctrl-C while the workers start is handled too.
      exitOnSignals(() => {
        progress?.clear();
        return started.pool?.close();
      });
      const pool = await WorkerPool.start({
        worker: flags.worker,
        jobs: flags.jobs,
        retries: flags.retries,
        maxRestarts: flags.maxRestarts,
        loadTimeoutMs: flags.loadTimeout,
        timeoutMs: flags.timeout,
        onEvent: (event) => reportEvent(event, progress),
      });
      started.pool = pool;
      hintTerminalInput('fan-out');
      // `| head -1`: the reader has all it wants. Stop the workers now; output.ts then exits 0.
      onStdoutClosed(() => {
        progress?.clear();
        killAll('SIGTERM');
      });
      const count = { lines: 0, ended: false };
      progress?.start(`fan-out -j ${pool.jobs}`, count);
      try {
        // Lines stay bytes here: the workers decode them, and their answers are written as they come. --json
        // prints every output as the worker returned it, so it keeps the string path (the outputs as strings).
        const ordered = !flags.unordered;
        const results = flags.json
          ? pool.stream((await import('../modules/lines.js')).lineChunks(process.stdin, count), { ordered })
          : pool.streamLines(openStdin(), { ordered, ...(progress ? { count } : {}) });
        await writeResults(results, flags, progress);
      } finally {
        progress?.stop();
        await pool.close();
      }
    });
  // `fan-out [options] -- <command>` runs a program per item: src/commands/fan-out-commands.ts.
  addCommandMode(fanOut);
}

// Crashes and restarts are news for the person watching, whatever the output mode.
function reportEvent(event: PoolEvent, progress: ProgressLine | undefined): void {
  if (event.type === 'crash') {
    progress?.clear();
    const items = event.inFlight === 1 ? '1 item' : `${event.inFlight} items`;
    if (event.timedOutMs !== undefined)
      say(
        style.yellow(
          `concur: worker ${event.worker} (pid ${event.pid}) killed: an item ran longer than ` +
            `${formatDuration(event.timedOutMs)}; ${items} in flight`,
        ),
      );
    else
      say(
        style.yellow(
          `concur: worker ${event.worker} (pid ${event.pid}) died (${describeReason(event.reason)}); ${items} in flight`,
        ),
      );
  } else if (event.type === 'restart') {
    progress?.clear();
    say(style.yellow(`concur: worker ${event.worker} restarted as pid ${event.pid}`));
  }
}
