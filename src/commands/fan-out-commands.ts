/**
 * `concur fan-out [options] -- <command> [args...]`: run a program once per input item, N at a time, as xargs -P
 * and GNU parallel do. Each job's output is written whole when it ends, in input order (or as jobs finish);
 * failures are reported on stderr, one line each, and make the exit code non-zero. The engine is
 * src/patterns/fan-out/commands.ts; this file parses options and formats output.
 */
import { availableParallelism, constants } from 'node:os';
import { Command, Help, Option } from 'commander';
import { ConcurError, UsageError } from '../process/errors.js';
import { exitOnSignals } from '../process/children.js';
import { onStdoutClosed, say, stderrPolicy, style, writeData } from '../terminal/output.js';
import { checkInput } from '../terminal/input.js';
import { hintTerminalInput } from '../terminal/stdin-hint.js';
import { parseCountOrZero, parseDuration, parseHalt, parseJobs } from '../options.js';
import type { HaltRule } from '../patterns/fan-out/halt.js';
import type { CommandResult, CommandRun, JobInfo } from '../patterns/fan-out/commands.js';

/** The flags of `concur fan-out -- <command>`. */
interface CommandFlags {
  jobs?: number;
  shell?: boolean;
  unordered?: boolean;
  keepOrder?: boolean;
  lineBuffer?: boolean;
  tag?: boolean;
  null?: boolean;
  retries: number;
  timeout?: number;
  halt?: HaltRule;
  joblog?: string;
  resume?: boolean;
  resumeFailed?: boolean;
  json?: boolean;
  progress: boolean;
  /** Module mode's broker options: refused here, with where the command goes instead. */
  broker?: string | boolean;
  brokerFile?: string;
  queue?: string;
}

// Past this many, failed jobs are counted but no longer listed one by one on stderr (--json has them all).
const LISTED_FAILURES = 100;

/**
 * Give `concur fan-out` its command mode: when `--` is among its arguments, a hidden subcommand with its own
 * options takes them all (so `-j 50%`, `--halt` and the rest are parsed by this file, not by the module mode).
 */
export function addCommandMode(fanOut: Command): void {
  const commands = defineCommand();
  fanOut.addCommand(commands, { hidden: true });
  const parseOptions = fanOut.parseOptions.bind(fanOut);
  fanOut.parseOptions = (args: string[]) =>
    args.includes('--') ? { operands: [commands.name()], unknown: args } : parseOptions(args);
  // The program drops a `--` that no unknown option precedes (`concur fan-out -- gzip`), leaving fan-out
  // operands it cannot tell from a mistake: put it back in front of what followed it.
  const program = fanOut.parent;
  if (!program) return;
  const parseProgram = program.parseOptions.bind(program);
  program.parseOptions = (args: string[]) => {
    const parsed = parseProgram(args);
    const dash = args.indexOf('--');
    const { operands } = parsed;
    if (operands[0] !== fanOut.name() || parsed.unknown.length > 0 || dash < 0) return parsed;
    const after = args.length - dash - 1;
    const before = operands.slice(1, operands.length - after);
    return {
      operands: [operands[0]],
      unknown: [...before, '--', ...operands.slice(operands.length - after)],
    };
  };
  fanOut.addHelpText(
    'after',
    `\nTo run a program per line instead of a module: concur fan-out [options] -- <command> [args...]
(see concur fan-out --help --).`,
  );
}

function defineCommand(): Command {
  const cores = availableParallelism();
  const command = new Command('commands')
    .description(
      'run a program once per input line (or -0 record), N at a time, like xargs -P or GNU parallel',
    )
    .argument('[command...]', 'the program and its arguments, after --; {} and friends are replaced per item')
    .option(
      '-j, --jobs <n>',
      `jobs at once: N, N% of the ${cores} cores, +N or -N (default: ${cores})`,
      (v) => parseJobs(v, cores),
    )
    .option('--shell', 'run the command with sh -c (for pipes and redirections); items are quoted for sh')
    .option('--unordered', "write each job's output as it finishes instead of in input order")
    .option('-k, --keep-order', 'input order (the default; accepted for GNU parallel habits)')
    .option('--line-buffer', 'stream output lines as they come (whole lines, never split) instead of per job')
    .option('--tag', 'prefix every output line with the item and a tab')
    .option('-0, --null', 'items are separated by NUL, not newline (find -print0)')
    .option('--retries <n>', 'extra attempts for a job that fails (default 0)', parseCountOrZero, 0)
    .option(
      '--timeout <duration>',
      "kill a job's process group after this long (500ms, 10s, 2m)",
      parseDuration,
    )
    .option('--halt <rule>', 'stop early: now,fail=N  soon,fail=N  now,success=N (default never)', (v) =>
      parseHalt(v),
    )
    .option('--joblog <file>', "log each finished job in GNU parallel's tab-separated columns")
    .option('--resume', 'with --joblog: skip the jobs the log lists')
    .option('--resume-failed', 'with --joblog: skip the jobs the log lists as succeeded; run the rest')
    .option(
      '--json',
      'one JSON object per job: {index, input, argv, exitCode, signal, durationMs, stdout, ...}',
    )
    .option('--no-progress', 'no progress line on stderr (it is only drawn on a terminal anyway)')
    .addHelpText(
      'after',
      `
Replacement strings (as GNU parallel): {} the item, {.} without extension, {/} basename, {//} directory,
{/.} basename without extension, {#} job number, {%} slot. With none, the item is the last argument.
No shell runs unless --shell: an item such as "a b; rm -rf ~" is one argument.

Examples:
  ls *.log | concur fan-out -j 50% -- gzip -9 {}
  find . -name '*.wav' -print0 | concur fan-out -0 -- ffmpeg -i {} {.}.mp3
  cat urls | concur fan-out -j 8 --timeout 30s --retries 2 -- curl -fsS {}
  seq 100 | concur fan-out --shell -- 'echo {} | sha256sum'
  concur fan-out --joblog jobs.tsv --resume-failed -- ./process.sh < items

Output: each job's stdout is written whole when it ends, in input order (--unordered: as they finish); its
stderr goes to stderr, whole. Exit: 0 when every job exits 0; 1 when any fails, times out, or --halt stops on a
failure; 127 when the program is not found, 126 when it cannot run; 2 for usage errors; 130 on Ctrl-C, 143 on
SIGTERM. Every job runs in its own process group and none outlives concur. Details: COMMANDS.md.`,
    )
    // Hidden: only so that a command given with a broker is told where it belongs (checkFlags).
    .addOption(new Option('--broker [url]').hideHelp())
    .addOption(new Option('--broker-file <path>').hideHelp())
    .addOption(new Option('--queue <name>').hideHelp())
    .action(async (words: string[], flags: CommandFlags) => runCommandMode(words, flags));
  // Commander suggests from the parent's options too, and fan-out's module options are not options here:
  // `--worker` would be answered "Did you mean --worker?". Suggest from this command's own options only.
  const internals = command as unknown as { unknownOption(flag: string): void };
  const unknownOption = internals.unknownOption.bind(command);
  internals.unknownOption = (flag: string): void => {
    const parent = command.parent;
    command.parent = null;
    try {
      unknownOption(flag);
    } finally {
      command.parent = parent;
    }
  };
  // The usage line as people type it: options first, then -- and the command.
  command.createHelp = () => {
    const help = new Help();
    help.commandUsage = () => 'concur fan-out [options] -- <command> [args...]';
    return help;
  };
  return command;
}

function checkFlags(words: string[], flags: CommandFlags): void {
  if (flags.broker !== undefined || flags.brokerFile !== undefined || flags.queue !== undefined)
    throw new UsageError(
      'with a broker the command runs on the worker hosts, not here: start each host with ' +
        '`concur worker --broker URL -- <command> [args...]`, then send the items with `concur fan-out --broker URL`.',
    );
  if (words.length === 0)
    throw new UsageError(
      'give a command after --, e.g. concur fan-out -- gzip {} (see concur fan-out --help --).',
    );
  if ((flags.resume || flags.resumeFailed) && flags.joblog === undefined)
    throw new UsageError('--resume and --resume-failed read the log of an earlier run: add --joblog <file>.');
  if (flags.resume && flags.resumeFailed) throw new UsageError('choose one of --resume and --resume-failed.');
  if (flags.json && (flags.tag || flags.lineBuffer))
    throw new UsageError('--json writes one record per job; leave out --tag and --line-buffer.');
  if (flags.unordered && flags.keepOrder) throw new UsageError('choose one of --unordered and --keep-order.');
}

async function runCommandMode(words: string[], flags: CommandFlags): Promise<void> {
  checkFlags(words, flags);
  const { CommandRun } = await import('../patterns/fan-out/commands.js');
  const { inputItems } = await import('../patterns/fan-out/items.js');
  const { jobCapacity } = await import('../patterns/fan-out/job-limits.js');
  const { JoblogWriter, readJoblog } = await import('../patterns/fan-out/joblog.js');
  const { commandLine } = await import('../patterns/fan-out/placeholders.js');
  const { failureText } = await import('../patterns/fan-out/command-job.js');

  const jobs = flags.jobs ?? availableParallelism();
  const capacity = jobCapacity();
  if (jobs > capacity.max)
    throw new UsageError(
      `-j ${jobs} is more than this machine can hold: the largest safe value is ${capacity.max} (${capacity.reason}).`,
      'EJOBS',
    );
  // The same input rules as every line-reading command: a directory is a failure (1), a terminal gets a hint.
  checkInput();
  hintTerminalInput('fan-out');

  const resuming = flags.resume || flags.resumeFailed;
  const history = resuming && flags.joblog !== undefined ? readJoblog(flags.joblog) : undefined;
  const joblog = flags.joblog !== undefined ? new JoblogWriter(flags.joblog, resuming === true) : undefined;
  const progress = flags.progress && stderrPolicy.animate ? new JobProgress(jobs) : undefined;
  const tag = flags.tag
    ? (job: JobInfo, line: Buffer) => Buffer.concat([Buffer.from(`${job.input}\t`), line])
    : undefined;

  const run: CommandRun = new CommandRun(inputItems(process.stdin, flags.null ? '\0' : '\n'), words, {
    jobs,
    shell: flags.shell,
    ordered: !flags.unordered && !flags.lineBuffer,
    retries: flags.retries,
    timeoutMs: flags.timeout,
    halt: flags.halt,
    skip: history && ((seq) => (flags.resume ? history.has(seq) : history.get(seq)?.ok === true)),
    onItem: progress && (() => progress.read++),
    onLine: flags.lineBuffer
      ? (job, stream, line) => {
          const text = tag ? tag(job, line) : line;
          progress?.clear();
          if (stream === 'stdout') void writeData(text);
          else process.stderr.write(text);
        }
      : undefined,
    onEvent: (event) => {
      progress?.clear();
      if (event.type === 'retry')
        say(
          style.yellow(
            `concur: ${jobName(event.job)} ${failureText(event.result)}; retrying (attempt ${event.job.attempt + 1})`,
          ),
        );
      else if (event.type === 'halt') {
        const killed =
          event.killed > 0 ? `; ${event.killed} running ${event.killed === 1 ? 'job' : 'jobs'} killed` : '';
        const waiting = event.when === 'soon' ? '; waiting for the running jobs' : '';
        say(style.yellow(`concur: halting: ${event.reason}${killed}${waiting}.`));
      }
    },
  });

  // Ctrl-C, SIGTERM: the same signal to every job's group, SIGKILL after the grace, then exit 128+n.
  exitOnSignals((signal) => {
    progress?.stop();
    return run.stop(signal);
  });
  // `| head -1`: the reader has all it wants. Stop the jobs; output.ts then exits 0.
  onStdoutClosed(() => {
    progress?.stop();
    void run.stop('SIGTERM');
  });
  progress?.start();

  let total = 0;
  let failed = 0;
  let first: CommandResult | undefined;
  const startFailures = { notFound: 0, cannotRun: 0 };
  try {
    for await (const result of run.results()) {
      total++;
      progress?.done(result.ok);
      joblog?.write({
        seq: result.seq,
        startedAt: result.startedAt,
        durationMs: result.durationMs,
        received: result.stdoutBytes,
        exitCode: result.exitCode ?? (result.failure === 'timedOut' ? -1 : 0),
        signal: result.signal ? signalNumber(result.signal) : 0,
        command: commandLine(result.argv),
      });
      if (!result.ok) {
        failed++;
        first ??= result;
        if (result.failure === 'notFound' || result.failure === 'cannotRun') startFailures[result.failure]++;
        if (failed <= LISTED_FAILURES) {
          progress?.clear();
          say(style.red(`concur: ${jobName(result)} ${failureText(result)}`));
        }
      }
      await writeJob(result, flags, tag);
    }
  } catch (error) {
    if (error instanceof ConcurError) throw error;
    const cause = error as NodeJS.ErrnoException;
    throw new ConcurError(`cannot read the items from stdin: ${cause.message}`, 1, cause.code ?? 'EINPUT', {
      cause,
    });
  } finally {
    progress?.stop();
    joblog?.close();
  }

  if (run.halted !== undefined && flags.halt?.on === 'success') return;
  if (failed === 0) {
    if (run.halted !== undefined) throw new ConcurError(`halted: ${run.halted}.`, 1, 'EHALT');
    return;
  }
  const more = failed > LISTED_FAILURES ? ` (only the first ${LISTED_FAILURES} are listed above)` : '';
  const halted = run.halted !== undefined ? `; halted: ${run.halted}` : '';
  const summary = `${failed} of ${total} jobs failed${more}${halted}; first: ${jobName(first!)}.`;
  // As xargs and the shell say it: 127 when the program is not found, 126 when it cannot run.
  const code = startFailures.notFound === failed ? 127 : startFailures.cannotRun === failed ? 126 : 1;
  throw new ConcurError(summary, code, 'EJOBFAILED');
}

// Write one finished job: its stderr whole to stderr, its stdout whole to stdout (or as one JSON record).
async function writeJob(
  result: CommandResult,
  flags: CommandFlags,
  tag: ((job: JobInfo, line: Buffer) => Buffer) | undefined,
): Promise<void> {
  if (result.stderr.length > 0)
    process.stderr.write(tag ? tagLines(result, result.stderr, tag) : result.stderr);
  if (flags.json) {
    const record = {
      index: result.index,
      seq: result.seq,
      slot: result.slot,
      input: result.input,
      argv: result.argv,
      exitCode: result.exitCode,
      signal: result.signal,
      ok: result.ok,
      ...(result.error !== undefined ? { error: result.error } : {}),
      durationMs: Math.round(result.durationMs * 10) / 10,
      attempts: result.attempts,
      stdout: result.stdout.toString('utf8'),
    };
    await writeData(`${JSON.stringify(record)}\n`);
    return;
  }
  if (result.stdout.length > 0) await writeData(tag ? tagLines(result, result.stdout, tag) : result.stdout);
}

// Prefix every line of `data` (the last one may lack its newline) with the job's item and a tab.
function tagLines(result: CommandResult, data: Buffer, tag: (job: JobInfo, line: Buffer) => Buffer): Buffer {
  const job = { ...result, attempt: result.attempts };
  const parts: Buffer[] = [];
  let start = 0;
  while (start < data.length) {
    const newline = data.indexOf(10, start);
    const end = newline < 0 ? data.length : newline + 1;
    parts.push(tag(job, data.subarray(start, end)));
    start = end;
  }
  return Buffer.concat(parts);
}

// "line 3 ("some item")": a line number alone means nothing after a sort, so the item is shown too.
function jobName(job: { seq: number; input: string }): string {
  const text = job.input.length > 40 ? `${job.input.slice(0, 37)}...` : job.input;
  return `line ${job.seq} (${JSON.stringify(text)})`;
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}

/** "fan-out -j 4: 120 / 5,000 jobs · 2 failed · 85/s · ETA 57s", redrawn on stderr ten times a second. */
class JobProgress {
  read = 0;
  private finished = 0;
  private failed = 0;
  private shown = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = performance.now();

  constructor(private readonly jobs: number) {}

  start(): void {
    this.timer = setInterval(() => this.draw(), 100);
    this.timer.unref();
  }

  done(ok: boolean): void {
    this.finished++;
    if (!ok) this.failed++;
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\u001b[K');
    this.shown = false;
  }

  stop(): void {
    clearInterval(this.timer);
    this.clear();
  }

  private draw(): void {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? this.finished / seconds : 0;
    const n = (value: number): string => Math.round(value).toLocaleString('en');
    let text = `fan-out -j ${this.jobs}: ${n(this.finished)} / ${n(this.read)} jobs`;
    if (this.failed > 0) text += ` · ${n(this.failed)} failed`;
    text += ` · ${rate.toFixed(rate < 10 ? 1 : 0)}/s`;
    process.stderr.write(`\r\u001b[K${style.dim(text.slice(0, stderrPolicy.columns - 1))}`);
    this.shown = true;
  }
}
