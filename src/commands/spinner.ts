/**
 * `concur spinner`: count primes in the parent while a forked child spins; or, after `--`, run any command
 * with the spinner. Options pick the variant: --no-spinner (baseline), --in-process (the counter-example),
 * --classic (the chapter's original).
 */
import type { Command } from 'commander';
import { UsageError } from '../process/errors.js';
import { recorder } from '../trace/events.js';
import { say, stderrPolicy, writeLine } from '../terminal/output.js';
import type { Progress } from '../patterns/spinner/spinner.js';
import type { SpinnerStats } from '../patterns/spinner/protocol.js';
import { countPrimes, DEFAULT_PRIME_LIMIT } from '../work/primes.js';
import { parseCount } from '../options.js';

interface SpinnerFlags {
  size: number;
  spinner: boolean;
  inProcess?: boolean;
  classic?: boolean;
  json?: boolean;
}

/** Add `concur spinner` to the program. */
export function registerSpinner(program: Command): void {
  program
    .command('spinner')
    .description(
      'run a long computation (or a command) while a forked child process draws a spinner on stderr',
    )
    .argument('[command...]', 'a command to run instead of the built-in computation (put it after --)')
    .option('--size <n>', 'count primes below n (scales the computation)', parseCount, DEFAULT_PRIME_LIMIT)
    .option('--no-spinner', 'no spinner at all: the baseline, and for scripts')
    .option('--in-process', 'draw the spinner on a timer inside the busy parent, to watch it freeze')
    .option('--classic', "the chapter's original: 'Please wait ... ' and | / - \\ drawn with backspaces")
    .option('--json', 'print the result as one JSON object')
    .addHelpText(
      'after',
      `
Examples:
  concur spinner                       count primes for a few seconds with a spinner child
  concur spinner --in-process          the same spinner inside the busy parent: it freezes
  concur spinner --classic             Please wait ... | / - \\
  concur spinner --json | jq .result   the result as JSON on stdout
  concur spinner -- npm test           any command, with a spinner while it runs

Output: results on stdout, the spinner on stderr (only when stderr is a terminal).
A wrapped command's stdout passes through untouched; when the spinner draws on the terminal,
the command's terminal lines are printed above the spinner instead of through it.`,
    )
    .action(async (command: string[], flags: SpinnerFlags, self: Command) => {
      // `concur spinner --` alone is a command line cut short (an empty variable?), not a request for primes.
      if (command.length === 0 && afterName(self).includes('--'))
        throw new UsageError('nothing after --: put the command to run there, e.g. concur spinner -- make.');
      if (command.length > 0) {
        // --classic and --no-spinner shape the spinner, so they apply; these shape the built-in computation.
        const computationOnly = [
          self.getOptionValueSource('size') === 'cli' && '--size',
          flags.inProcess && '--in-process',
          flags.json && '--json',
        ].filter(Boolean);
        if (computationOnly.length > 0)
          throw new UsageError(
            `${computationOnly.join(' and ')} ${computationOnly.length > 1 ? 'apply' : 'applies'} to the built-in computation, not to a command: drop ${computationOnly.length > 1 ? 'them' : 'it'}, or the command after --.`,
          );
        // Loaded on demand: a command's code is loaded only when it runs.
        const { spinCommand } = await import('../patterns/spinner/command.js');
        const { exitCode } = await spinCommand(command[0] ?? '', command.slice(1), {
          spinner: flags.spinner,
          style: flags.classic ? 'classic' : 'ora',
        });
        process.exitCode = exitCode;
        return;
      }
      await runComputation(flags);
    });
}

// The raw words after `spinner` on the command line (commander drops `--` from the parsed arguments).
function afterName(self: Command): string[] {
  // rawArgs is commander's copy of the argv it parsed; it is public but missing from the typings.
  const raw = (self.parent as { rawArgs?: string[] } | null)?.rawArgs ?? [];
  const at = raw.indexOf(self.name());
  return at === -1 ? [] : raw.slice(at + 1);
}

// Count primes in this process, under the spinner variant the flags ask for, and print the result.
async function runComputation(flags: SpinnerFlags): Promise<void> {
  if (flags.inProcess && flags.classic) throw new UsageError('choose one of --in-process and --classic.');
  const { withInProcessSpinner, withSpinner } = await import('../patterns/spinner/spinner.js');
  const limit = flags.size;
  const text = 'Counting primes…';
  const compute = (progress?: Progress): number => {
    recorder.start(recorder.self, 'count primes', { limit });
    const value = countPrimes(limit, progress && ((fraction) => progress({ fraction })));
    recorder.end(recorder.self, 'count primes', { value });
    return value;
  };
  const done = (seconds: number): string =>
    flags.classic ? 'Computation done' : `Computation done in ${(seconds / 1000).toFixed(1)} s`;

  let result: {
    value: number;
    elapsedMs: number;
    mode: string;
    frames?: number;
    framesDue?: number;
    spinner?: SpinnerStats;
  };
  if (!flags.spinner) {
    const started = performance.now();
    const value = compute();
    result = { value, elapsedMs: performance.now() - started, mode: 'none' };
  } else if (flags.inProcess) {
    const run = await withInProcessSpinner(compute, { text });
    result = { ...run, mode: 'in-process', frames: run.stats?.frames ?? 0 };
    const verb = stderrPolicy.animate ? 'drew' : 'would have drawn (stderr is not a terminal)';
    say(
      `In-process spinner ${verb} ${result.frames} of ${run.framesDue} frames due: the busy parent froze it.`,
    );
  } else {
    const run = await withSpinner(compute, {
      text,
      style: flags.classic ? 'classic' : 'ora',
      done: (_value, elapsedMs) => done(elapsedMs),
    });
    result = { ...run, mode: 'child', frames: run.stats?.frames, spinner: run.stats };
  }

  const elapsedMs = Math.round(result.elapsedMs);
  if (flags.json)
    await writeLine(
      JSON.stringify({
        result: result.value,
        elapsedMs,
        limit,
        mode: result.mode,
        frames: result.frames,
        framesDue: result.framesDue,
        spinner: spinnerSummary(result.spinner),
      }),
    );
  else await writeLine(String(result.value));
}

// The child's own measurements, rounded, for --json (the inbox list is for the demo, not for scripts).
function spinnerSummary(stats: SpinnerStats | undefined): Record<string, number | boolean> | undefined {
  if (!stats) return undefined;
  const round = (n: number): number => Math.round(n * 10) / 10;
  return {
    animated: stats.animated,
    frames: stats.frames,
    intervalP50Ms: round(stats.intervalP50Ms),
    intervalP95Ms: round(stats.intervalP95Ms),
    intervalMaxMs: round(stats.intervalMaxMs),
    firstFrameMs: round(stats.firstFrameMs),
    cpuMs: round(stats.cpuMs),
    spinCpuPercent: Math.round(stats.spinCpuPercent * 100) / 100,
  };
}
