/**
 * The runner of a command host (`concur worker --broker URL -- <command>`): each item of a batch runs the
 * command once, exactly as local command fan-out runs it (commands.ts, command-job.ts): the same replacement
 * strings, no shell unless asked, a launcher per slot (launcher.ts) whose process group holds the slot's job,
 * the guardian's mark on every job, --timeout killing the group. The job's stdout goes back to the coordinator
 * exactly as the job wrote it (command-results.ts), which writes it as a local run would; its stderr goes to
 * the host's stderr.
 * The items stay data: the code is the command on the host's own command line.
 *
 * All batches in hand share one set of `jobs` slots, so `-j N` bounds the processes on the host however many
 * batches it holds, and `{%}` is unique among the jobs running at once. `{#}` is the item's number in the
 * coordinator's input, as it would be in a local run.
 * Try: concur worker --broker redis://127.0.0.1:6379 -- sh -c 'printf "%s!\n" "$1"' _ {}
 */
import { availableParallelism } from 'node:os';
import { signalGroup } from '../../process/children.js';
import { CommandJob, failureText, type CommandResult } from '../fan-out/command-job.js';
import { jobSetup } from '../fan-out/commands.js';
import { compileCommand, type CommandTemplate } from '../fan-out/placeholders.js';
import type { JobSetup } from '../fan-out/command-job.js';
import type { ModuleId } from './protocol.js';
import { commandIdentity } from './work-id.js';
import type { JobOutcome } from './command-results.js';

/** What a host needs from whatever runs its batches: a module pool or a command runner. */
export interface BatchRunner {
  /** How many items it runs at once. */
  readonly jobs: number;
  /** Kill what runs and release everything. */
  close(): Promise<void>;
}

/** How a command host runs its command. */
export interface CommandRunnerOptions {
  /** The program and its arguments, with replacement strings (`{}`, `{.}`, `{#}`, …). */
  command: readonly string[];
  /** Run it with `sh -c`, the words joined and each replacement quoted for sh. */
  shell?: boolean;
  /** Jobs at once on this host, over all its batches (default: one per core). */
  jobs?: number;
  /** Extra attempts for a job that fails (default 0), as local command fan-out. */
  retries?: number;
  /** Kill a job's process group after this many ms (SIGTERM, then SIGKILL after `killGraceMs`). */
  timeoutMs?: number;
  killGraceMs?: number;
  /** The host's name, in failure reasons: the job's stderr is in that host's log. */
  host: string;
  /** Each finished job's stderr, whole (default: nothing). */
  onStderr?: (data: Buffer) => void;
  /** For tests: the environment and spawn function of the jobs. */
  env?: NodeJS.ProcessEnv;
  spawn?: JobSetup['spawn'];
}

// One item waiting for, or holding, a slot: where its result goes.
interface Entry {
  batch: Batch;
  offset: number;
  index: number;
  input: string;
}

// One batch in hand: its results fill in as its jobs end.
interface Batch {
  results: JobOutcome[];
  remaining: number;
  resolve: (results: JobOutcome[]) => void;
}

/** Runs batches of items through a command, `jobs` processes at a time over all batches. */
export class CommandRunner implements BatchRunner {
  readonly jobs: number;
  /** What every result of this host says it ran (the coordinator compares them). */
  readonly identity: ModuleId;
  private readonly template: CommandTemplate;
  private readonly setup: JobSetup;
  private readonly retries: number;
  private readonly grace: number;
  private readonly freeSlots: number[] = [];
  private readonly waiting: Entry[] = [];
  private readonly running = new Map<CommandJob, Entry>();
  // Groups where something may still run after its job ended (a background grandchild, a slot's launcher):
  // killed when the host stops, as a local run kills them when it ends.
  private readonly lingering = new Set<number>();
  private closing = false;
  private drained: (() => void) | undefined;

  constructor(private readonly options: CommandRunnerOptions) {
    if (options.command.length === 0) throw new TypeError('a command host needs a command to run');
    this.jobs = options.jobs ?? availableParallelism();
    this.template = compileCommand(options.command, options.shell);
    this.identity = commandIdentity(options.command, options.shell);
    this.setup = jobSetup(options);
    this.retries = options.retries ?? 0;
    this.grace = options.killGraceMs ?? 1000;
    for (let slot = this.jobs; slot >= 1; slot--) this.freeSlots.push(slot);
  }

  /** Run a batch; one outcome per item, in the batch's order. */
  run(batch: readonly { index: number; input: string }[]): Promise<JobOutcome[]> {
    return new Promise((resolve) => {
      const record: Batch = { results: [], remaining: batch.length, resolve };
      if (batch.length === 0) return resolve([]);
      batch.forEach(({ index, input }, offset) => this.waiting.push({ batch: record, offset, index, input }));
      this.fill();
    });
  }

  /**
   * Start nothing more, SIGTERM every running job's group (SIGKILL after the grace), and resolve when all have
   * ended. Batches not finished never settle: the host has already handed them back to the queue.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.waiting.length = 0;
    for (const job of this.running.keys()) {
      job.dropped = true;
      job.kill('SIGTERM');
      if (job.pid !== undefined) this.lingering.add(job.pid);
    }
    if (this.running.size > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.setup.launchers?.close();
    // A job's leader may be gone while something it started still runs in its group.
    await killGroups(this.lingering, this.grace);
  }

  // Start a job for each waiting item while a slot is free, oldest batch first.
  private fill(): void {
    while (!this.closing && this.freeSlots.length > 0 && this.waiting.length > 0) {
      const entry = this.waiting.shift()!;
      this.start(entry, this.freeSlots.pop()!, 1);
    }
  }

  private start(entry: Entry, slot: number, attempt: number): void {
    const info = { index: entry.index, seq: entry.index + 1, slot, input: entry.input, argv: [], attempt };
    const job = new CommandJob(info, this.template, this.setup, (ended, code, signal) =>
      this.finish(ended, code, signal),
    );
    this.running.set(job, entry);
  }

  // A job's attempt ended: retry it, or record the item's result and free the slot.
  private finish(job: CommandJob, code: number | null, signal: NodeJS.Signals | null): void {
    const entry = this.running.get(job)!;
    this.running.delete(job);
    const { batch } = entry;
    if (job.pid !== undefined && signalGroup(job.pid, 0)) this.lingering.add(job.pid);
    if (job.dropped) {
      if (this.running.size === 0) this.drained?.();
      return;
    }
    const result = job.result(code, signal);
    if (result.stderr.length > 0) this.options.onStderr?.(result.stderr);
    const { slot, attempt } = job.info;
    // A program that cannot start will not start on a second try either.
    if (!result.ok && !job.failedToStart && attempt <= this.retries && !this.closing) {
      this.start(entry, slot, attempt + 1);
      return;
    }
    batch.results[entry.offset] = this.itemResult(result);
    this.freeSlots.push(slot);
    this.fill();
    if (--batch.remaining === 0) batch.resolve(batch.results);
  }

  // The job as the protocol carries it: its stdout, whole, and why it failed if it did.
  private itemResult(result: CommandResult): JobOutcome {
    const item: JobOutcome = {
      index: result.index,
      input: result.input,
      worker: result.slot,
      pid: result.pid ?? 0,
      attempts: result.attempts,
      stdout: result.stdout,
    };
    if (!result.ok) item.error = `${failureText(result)} on host ${this.options.host}`;
    return item;
  }
}

// What a job started may not outlive it: SIGTERM its group, a grace period, then SIGKILL.
async function killGroups(groups: Set<number>, graceMs: number): Promise<void> {
  if (groups.size === 0) return;
  for (const pgid of groups) signalGroup(pgid, 'SIGTERM');
  const deadline = performance.now() + graceMs;
  while ([...groups].some((pgid) => signalGroup(pgid, 0)) && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
}
