/**
 * Fan-out over programs: run a command once per input item, N at a time, in the plainest form of process-based
 * concurrency (fork, exec, wait). Each job is one fork and exec from an argument vector (no shell unless asked),
 * by its slot's launcher (launcher.ts), in a process group concur leads, and is guarded from its start so neither
 * it nor its grandchildren outlive concur.
 * Its stdout and stderr are collected and handed back whole when it ends, in input order through a bounded
 * reorder window (or as jobs finish), so no two jobs' output ever interleave.
 *
 * Use it where you would reach for `xargs -P` or GNU parallel: gzip, ffmpeg, curl, a script per file or URL.
 * From Unix's fork/exec/wait, xargs and GNU parallel (Tange, 2011), whose replacement strings, --halt and
 * joblog it follows.
 * Try: seq 5 | concur fan-out -j 2 -- sh -c 'sleep 0.$1; echo $1' sh
 */
import { spawn as nodeSpawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { guardMarkedProcesses, signalGroup } from '../../process/children.js';
import { CommandJob, type CommandResult, type JobInfo, type JobSetup } from './command-job.js';
import { Launchers } from './launcher.js';
import { ProgramPaths } from './program-paths.js';
import { HaltCounter, type HaltRule } from './halt.js';
import { compileCommand, type CommandTemplate } from './placeholders.js';

export { formatMs, type CommandResult, type JobInfo } from './command-job.js';

/** What a run tells its watchers (narration, traces). */
export type CommandEvent =
  | { type: 'retry'; job: JobInfo; result: CommandResult }
  | { type: 'timeout'; job: JobInfo; pid: number }
  | { type: 'halt'; reason: string; when: HaltRule['when']; killed: number };

/** How to run a command over items. */
export interface RunCommandsOptions {
  /** Jobs at once; default: one per core. */
  jobs?: number;
  /** Run through `sh -c`, the command's words joined and each replacement quoted (default false). */
  shell?: boolean;
  /** Deliver results in input order (default true) or as they finish. */
  ordered?: boolean;
  /** With `ordered`: how many finished results may wait for an earlier one before no new job starts. */
  reorderWindow?: number;
  /** Extra attempts for a job that fails (default 0); only the last attempt's output is kept. */
  retries?: number;
  /** Kill a job's process group after this many ms (SIGTERM, then SIGKILL after `killGraceMs`). */
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL when killing a job (default 1000 ms). */
  killGraceMs?: number;
  /** Stop early: see halt.ts. */
  halt?: HaltRule;
  /** Skip the job with this number (from 1), e.g. one a joblog says is done (--resume). */
  skip?: (seq: number) => boolean;
  /** Stream output line by line instead of collecting it: each complete line, newline included. */
  onLine?: (job: JobInfo, stream: 'stdout' | 'stderr', line: Buffer) => void;
  /** Retries, timeouts and halts, as they happen. */
  onEvent?: (event: CommandEvent) => void;
  /** Called once per item read from the input (for progress displays). */
  onItem?: () => void;
  /** Environment for the jobs (default: concur's). */
  env?: NodeJS.ProcessEnv;
  /** The spawn function (a seam for tests); Node's by default. */
  spawn?: typeof nodeSpawn;
}

/**
 * What every job of a run shares: how it is spawned, where its program is found, its timeout. Also used by
 * `concur worker -- <command>` (distributed/command-host.ts), whose jobs follow the same discipline.
 */
export function jobSetup(
  options: Pick<RunCommandsOptions, 'env' | 'spawn' | 'timeoutMs' | 'killGraceMs' | 'onLine'>,
  onTimeout: JobSetup['onTimeout'] = () => {},
): JobSetup {
  // Each job leads its own process group (detached), so a timeout or a stop reaches its grandchildren. Each
  // carries the guardian's mark from its first instruction: if concur dies, even by SIGKILL, the guardian
  // finds every job and grandchild through it (process/marked.ts).
  const { variable, mark } = guardMarkedProcesses();
  const env = { ...(options.env ?? process.env), [variable]: mark };
  // Jobs whose output is collected whole run from a launcher per slot (launcher.ts): a fork of a small shell,
  // not of concur. Streamed lines (onLine) need pipes, so those jobs, and tests that bring a spawn, use Node's.
  const useLaunchers = !options.spawn && !options.onLine && process.platform !== 'win32';
  return {
    launchers: useLaunchers ? new Launchers(env) : undefined,
    spawn: options.spawn ?? nodeSpawn,
    spawnOptions: { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env },
    paths: new ProgramPaths(env.PATH),
    timeoutMs: options.timeoutMs,
    graceMs: options.killGraceMs ?? 1000,
    onLine: options.onLine,
    onTimeout,
  };
}

// A slot in the ordered window: a finished result, or a hole left by a skipped or dropped job.
type Delivery = CommandResult | 'none';

/**
 * A run of one command over many items. Iterate `results()` once; call `stop()` to end it early (Ctrl-C).
 * `runCommands` is the short form for most uses.
 */
export class CommandRun {
  /** Jobs at once. */
  readonly jobs: number;
  /** Set when `--halt` stopped the run: why, in words. */
  halted: string | undefined;
  /** Jobs skipped because `skip` said so. */
  skipped = 0;

  private readonly template: CommandTemplate;
  private readonly ordered: boolean;
  private readonly window: number;
  private readonly retries: number;
  private readonly grace: number;
  private readonly setup: JobSetup;
  private readonly haltCounter: HaltCounter;
  private readonly input: AsyncIterator<string> | Iterator<string>;
  private readonly freeSlots: number[] = [];
  private readonly running = new Set<CommandJob>();
  // Groups whose leader has ended but where a grandchild may still run: killed when the run ends.
  private readonly lingering = new Set<number>();
  private readonly pending = new Map<number, Delivery>();
  private readonly ready: CommandResult[] = [];
  private nextIndex = 0;
  private nextToDeliver = 0;
  private pulling = false;
  private inputDone = false;
  private stopping = false;
  private wake: (() => void) | undefined;
  private failure: unknown;

  constructor(
    items: AsyncIterable<string> | Iterable<string>,
    command: readonly string[],
    private readonly options: RunCommandsOptions = {},
  ) {
    if (command.length === 0) throw new TypeError('runCommands needs a command to run');
    this.jobs = options.jobs ?? availableParallelism();
    this.template = compileCommand(command, options.shell);
    this.ordered = options.ordered ?? true;
    this.window = options.reorderWindow ?? Math.max(64, this.jobs * 4);
    this.retries = options.retries ?? 0;
    this.grace = options.killGraceMs ?? 1000;
    this.haltCounter = new HaltCounter(options.halt);
    this.setup = jobSetup(options, (job, pid) => options.onEvent?.({ type: 'timeout', job, pid }));
    for (let slot = this.jobs; slot >= 1; slot--) this.freeSlots.push(slot);
    this.input =
      Symbol.asyncIterator in items
        ? (items as AsyncIterable<string>)[Symbol.asyncIterator]()
        : (items as Iterable<string>)[Symbol.iterator]();
  }

  /** The results, one per job that ran, in input order (or as they finish with `ordered: false`). */
  async *results(): AsyncGenerator<CommandResult> {
    try {
      this.fill();
      for (;;) {
        if (this.failure !== undefined) throw this.failure;
        const next = this.ready.shift();
        if (next) {
          yield next;
          this.fill();
          continue;
        }
        if (this.inputDone && !this.pulling && this.running.size === 0) break;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      await this.stop('SIGTERM');
      await this.input.return?.();
    }
  }

  /**
   * Stop: start nothing more, send `signal` to every running job's process group, and SIGKILL the groups
   * still there after the grace period. Resolves when every job has ended.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.stopping = true;
    this.inputDone = true;
    const jobs = [...this.running];
    for (const job of jobs) {
      job.dropped = true;
      job.kill(signal);
    }
    // Synchronously, so a caller about to exit (`| head -1`) has sent every signal before it does.
    for (const pgid of this.lingering) signalGroup(pgid, signal);
    await Promise.all(jobs.map((job) => this.ended(job)));
    await this.setup.launchers?.close();
    await this.killLingering();
  }

  // Start jobs while there is a free slot, input, and room in the reorder window.
  private fill(): void {
    while (
      !this.stopping &&
      !this.pulling &&
      !this.inputDone &&
      this.freeSlots.length > 0 &&
      // Bounded memory: results waiting for an earlier one, or for the reader, count against the window.
      this.ready.length + this.nextIndex - this.nextToDeliver - this.running.size < this.window
    ) {
      const next = this.input.next();
      if (next instanceof Promise) {
        this.pulling = true;
        next.then(
          (result) => {
            this.pulling = false;
            this.take(result);
            this.fill();
            this.notify();
          },
          (error: unknown) => {
            this.pulling = false;
            this.failure = error;
            this.inputDone = true;
            this.notify();
          },
        );
        return;
      }
      this.take(next);
    }
  }

  // One item from the input: start its job, or note that the input has ended.
  private take(next: IteratorResult<string>): void {
    if (next.done) {
      this.inputDone = true;
      return;
    }
    const index = this.nextIndex++;
    this.options.onItem?.();
    if (this.stopping || this.options.skip?.(index + 1)) {
      this.skipped += this.stopping ? 0 : 1;
      this.deliver(index, 'none');
      return;
    }
    const slot = this.freeSlots.pop()!;
    this.start({ index, seq: index + 1, slot, input: next.value, argv: [], attempt: 1 });
  }

  private start(info: JobInfo): void {
    const job = new CommandJob(info, this.template, this.setup, (ended, code, signal) =>
      this.finish(ended, code, signal),
    );
    this.running.add(job);
  }

  // A job's attempt ended: retry it, or record its result and free its slot.
  private finish(job: CommandJob, code: number | null, signal: NodeJS.Signals | null): void {
    this.running.delete(job);
    const { info } = job;
    // A grandchild may still run in the job's group (in the background): it is killed when the run ends.
    if (job.pid !== undefined && signalGroup(job.pid, 0)) this.lingering.add(job.pid);
    const result = job.result(code, signal);
    const ok = result.ok;
    this.notifyEnded(job);
    if (job.dropped) {
      this.release(info.slot);
      this.deliver(info.index, 'none');
      return;
    }
    // A program that cannot start will not start on a second try either.
    if (!ok && !job.failedToStart && info.attempt <= this.retries && !this.stopping) {
      this.options.onEvent?.({ type: 'retry', job: info, result });
      this.start({ ...info, attempt: info.attempt + 1 });
      return;
    }
    this.release(info.slot);
    this.deliver(info.index, result);
    if (this.haltCounter.count(ok) && !this.stopping) this.halt();
  }

  private halt(): void {
    const when = this.options.halt?.when ?? 'now';
    this.halted = this.haltCounter.describe();
    this.stopping = true;
    this.inputDone = true;
    const killed = when === 'now' ? this.running.size : 0;
    this.options.onEvent?.({ type: 'halt', reason: this.halted, when, killed });
    if (when === 'now')
      for (const job of this.running) {
        job.dropped = true;
        job.kill('SIGTERM');
      }
  }

  // The run is over: nothing a job started may outlive it. SIGTERM, a grace period, then SIGKILL.
  private async killLingering(): Promise<void> {
    if (this.lingering.size === 0) return;
    const groups = [...this.lingering];
    this.lingering.clear();
    for (const pgid of groups) signalGroup(pgid, 'SIGTERM');
    const deadline = performance.now() + this.grace;
    while (groups.some((pgid) => signalGroup(pgid, 0)) && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
  }

  private release(slot: number): void {
    this.freeSlots.push(slot);
    this.fill();
  }

  // Hand a result to the reader: now (unordered), or once every earlier job has been handed over.
  private deliver(index: number, result: Delivery): void {
    if (!this.ordered) {
      if (result !== 'none') this.ready.push(result);
      this.nextToDeliver++;
    } else {
      this.pending.set(index, result);
      let next: Delivery | undefined;
      while ((next = this.pending.get(this.nextToDeliver)) !== undefined) {
        this.pending.delete(this.nextToDeliver++);
        if (next !== 'none') this.ready.push(next);
      }
    }
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  // Jobs waiting in `stop()` for their end.
  private readonly endWaiters = new Map<CommandJob, () => void>();
  private ended(job: CommandJob): Promise<void> {
    if (job.ended) return Promise.resolve();
    return new Promise((resolve) => this.endWaiters.set(job, resolve));
  }
  private notifyEnded(job: CommandJob): void {
    this.endWaiters.get(job)?.();
    this.endWaiters.delete(job);
  }
}

/**
 * Run `command` once per item, `jobs` at a time, and yield each job's result (its exit code, signal, output
 * and timing), in input order unless `ordered: false`. Replacement strings (`{}`, `{.}`, `{/}`, `{//}`, `{/.}`,
 * `{#}`, `{%}`) are filled in per item; without any, the item is the last argument. Breaking out of the loop
 * stops the run and kills every job still running.
 *
 * @example
 * for await (const job of runCommands(['a.txt', 'b.txt'], ['gzip', '-k', '{}'], { jobs: 2 }))
 *   if (!job.ok) console.error(`${job.input}: exit ${job.exitCode}`);
 */
export function runCommands(
  items: AsyncIterable<string> | Iterable<string>,
  command: readonly string[],
  options: RunCommandsOptions = {},
): AsyncGenerator<CommandResult> {
  return new CommandRun(items, command, options).results();
}
