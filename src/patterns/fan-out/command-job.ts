/**
 * One job of `concur fan-out -- <command>`: a single spawn of the program, in its own process group, with its
 * stdout and stderr collected whole (or passed on line by line), a timer for --timeout, and the kill that takes
 * its whole group down: SIGTERM, then SIGKILL after a grace period. The run (commands.ts) decides which jobs
 * start, retries and orders them; this file is what happens between one spawn and its close.
 */
import { type ChildProcess, type SpawnOptions, type spawn as nodeSpawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { signalGroup, track } from '../../process/children.js';
import { recorder, type ProcessRef } from '../../trace/events.js';
import { LaunchedJob, type Launchers } from './launcher.js';
import { expandCommand, type CommandTemplate } from './placeholders.js';
import type { ProgramPaths } from './program-paths.js';

/** How one job ended: the last of its attempts. */
export interface CommandResult {
  /** Position of the item in the input, from 0. */
  index: number;
  /** The job number, from 1 (GNU parallel's `{#}` and the joblog's Seq). */
  seq: number;
  /** The slot that ran it, from 1 to the number of jobs (`{%}`). */
  slot: number;
  input: string;
  /** The program and arguments that ran, placeholders replaced. */
  argv: string[];
  /** The exit code; null when a signal ended it. 127 when the program was not found, 126 when it cannot run. */
  exitCode: number | null;
  /** The signal that ended it, if one did (after --timeout, the signal concur sent). */
  signal: NodeJS.Signals | null;
  /** True when the job exited with code 0. */
  ok: boolean;
  /** Why the job failed, in words for people, when the exit code alone does not say (not found, timed out). */
  error?: string;
  /** `notFound`/`cannotRun`: the program could not be started; `timedOut`: --timeout killed it. */
  failure?: 'notFound' | 'cannotRun' | 'timedOut';
  /** Epoch milliseconds when the last attempt started. */
  startedAt: number;
  durationMs: number;
  /** Everything the job wrote to stdout (empty when lines are streamed through `onLine`). */
  stdout: Buffer;
  /** Everything the job wrote to stderr (empty when lines are streamed through `onLine`). */
  stderr: Buffer;
  /** Bytes written to stdout, streamed or not. */
  stdoutBytes: number;
  /** 1, plus one per retry. */
  attempts: number;
  /** The process group that ran the last attempt: the job's own PID, or its slot launcher's (undefined when it could not start). */
  pid: number | undefined;
}

/** A running job, as `onLine` and `onEvent` see it. */
export interface JobInfo {
  index: number;
  seq: number;
  slot: number;
  input: string;
  argv: string[];
  attempt: number;
}

/** What every job of a run shares: how to spawn, what to do with lines and timeouts. */
export interface JobSetup {
  spawn: typeof nodeSpawn;
  spawnOptions: SpawnOptions;
  /** Each slot's launcher (launcher.ts); undefined to spawn each job from Node (line-buffered output, tests). */
  launchers: Launchers | undefined;
  paths: ProgramPaths;
  timeoutMs: number | undefined;
  graceMs: number;
  onLine: ((job: JobInfo, stream: 'stdout' | 'stderr', line: Buffer) => void) | undefined;
  onTimeout: (job: JobInfo, pid: number) => void;
}

/** One attempt of one job, from its spawn to its close. */
export class CommandJob {
  readonly child: ChildProcess | LaunchedJob;
  /** Killed by a halt or a stop: its result is dropped. */
  dropped = false;
  ended = false;
  private readonly startedAt = Date.now();
  private readonly started = performance.now();
  private readonly stdout: Buffer[] = [];
  private readonly stderr: Buffer[] = [];
  private stdoutBytes = 0;
  private failure: CommandResult['failure'];
  private error: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private trace: ProcessRef | undefined;

  /** Spawn the job now; `onEnd` is called once, when it has ended and its output is complete. */
  constructor(
    readonly info: JobInfo,
    template: CommandTemplate,
    private readonly setup: JobSetup,
    onEnd: (job: CommandJob, code: number | null, signal: NodeJS.Signals | null) => void,
  ) {
    const argv = expandCommand(template, { item: info.input, seq: info.seq, slot: info.slot });
    info.argv = argv;
    let child: ChildProcess | LaunchedJob;
    try {
      // The program's path is looked up once per run, not once per job: argv[0] stays as typed.
      const file = setup.paths.resolve(argv[0]);
      if (setup.launchers) {
        setup.paths.check(file, argv);
        child = setup.launchers.start(info.slot, file, argv);
      } else child = setup.spawn(file, argv.slice(1), { ...setup.spawnOptions, argv0: argv[0] });
    } catch (error) {
      // Node refuses some arguments before any process exists (a NUL byte in an argument).
      child = new FailedChild(error as Error) as unknown as ChildProcess;
    }
    this.child = child;
    const end = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (this.ended) return;
      this.ended = true;
      clearTimeout(this.timer);
      clearTimeout(this.killTimer);
      if (this.trace) recorder.end(this.trace, `job ${info.seq}`, { exitCode: code, signal });
      onEnd(this, code, signal);
    };
    const pid = child.pid;
    if (pid !== undefined) {
      if (child instanceof LaunchedJob) this.trace = child.trace;
      else {
        track(child, { group: true });
        if (recorder.enabled) this.trace = recorder.child(child, `slot ${info.slot}`, { argv });
      }
      if (this.trace) recorder.start(this.trace, `job ${info.seq}`, { input: info.input, argv });
      const timeoutMs = setup.timeoutMs;
      if (timeoutMs !== undefined)
        this.timer = setTimeout(() => {
          this.failure = 'timedOut';
          this.error = `timed out after ${formatMs(timeoutMs)}`;
          setup.onTimeout(info, pid);
          this.kill('SIGTERM');
        }, timeoutMs);
    }
    this.collect(child.stdout, 'stdout');
    this.collect(child.stderr, 'stderr');
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return; // An error after the start (a failed kill): the job goes on.
      const notFound = error.code === 'ENOENT';
      this.failure = notFound ? 'notFound' : 'cannotRun';
      this.error = notFound
        ? `command not found: ${argv[0]} (check the name, or your PATH)`
        : error.code === 'EACCES'
          ? `cannot run ${argv[0]}: permission denied (is it executable?)`
          : `cannot run ${argv[0]}: ${error.message}`;
      end(notFound ? 127 : 126, null);
    });
    // 'close', not 'exit': the output is complete only when every process holding the pipes has let go.
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (child.pid !== undefined) end(code, signal);
    });
  }

  /** The job's process group: its own PID, or its launcher's (undefined when it could not start). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True when the program could not be started at all (not found, not executable): no retry helps. */
  get failedToStart(): boolean {
    return this.failure === 'notFound' || this.failure === 'cannotRun';
  }

  /** Signal the job's whole group now, and SIGKILL it if it is still there after the grace period. */
  kill(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined || this.ended) return;
    if (this.child instanceof LaunchedJob) this.child.signalled();
    signalGroup(pid, signal);
    this.killTimer ??= setTimeout(() => signalGroup(pid, 'SIGKILL'), this.setup.graceMs);
  }

  /** The job's result, once it has ended with `code` or `signal`. */
  result(code: number | null, signal: NodeJS.Signals | null): CommandResult {
    const { info } = this;
    return {
      index: info.index,
      seq: info.seq,
      slot: info.slot,
      input: info.input,
      argv: info.argv,
      exitCode: this.failure === 'timedOut' ? null : code,
      signal,
      ok: code === 0 && this.failure === undefined,
      ...(this.error !== undefined ? { error: this.error, failure: this.failure } : {}),
      startedAt: this.startedAt,
      durationMs: performance.now() - this.started,
      stdout: this.stdout.length === 1 ? this.stdout[0]! : Buffer.concat(this.stdout),
      stderr: this.stderr.length === 1 ? this.stderr[0]! : Buffer.concat(this.stderr),
      stdoutBytes: this.stdoutBytes,
      attempts: info.attempt,
      pid: this.child.pid,
    };
  }

  // Keep the output whole, or pass it on line by line with `onLine`.
  private collect(stream: Pick<EventEmitter, 'on' | 'once'> | null, name: 'stdout' | 'stderr'): void {
    if (!stream) return;
    const onLine = this.setup.onLine;
    if (!onLine) {
      const chunks = this[name];
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (name === 'stdout') this.stdoutBytes += chunk.length;
      });
      return;
    }
    let carry: Buffer | undefined;
    stream.on('data', (chunk: Buffer) => {
      if (name === 'stdout') this.stdoutBytes += chunk.length;
      let data = carry ? Buffer.concat([carry, chunk]) : chunk;
      let newline: number;
      while ((newline = data.indexOf(10)) >= 0) {
        onLine(this.info, name, data.subarray(0, newline + 1));
        data = data.subarray(newline + 1);
      }
      carry = data.length > 0 ? data : undefined;
    });
    stream.once('end', () => {
      if (carry) onLine(this.info, name, carry);
    });
  }
}

/** Why a job failed, in words: "exited with code 3", "was killed by SIGSEGV", "timed out after 2s". */
export function failureText(result: CommandResult): string {
  if (result.error !== undefined) return result.error;
  if (result.signal) return `was killed by ${result.signal}`;
  return `exited with code ${result.exitCode}`;
}

/** `1500` → `1.5s`, `250` → `250ms`: durations in messages. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  return `${Number((ms / 60_000).toFixed(3))}m`;
}

// A job whose spawn threw synchronously: no process, one 'error' event, like Node's own failed spawns.
class FailedChild extends EventEmitter {
  readonly pid = undefined;
  readonly stdout = null;
  readonly stderr = null;
  constructor(error: Error) {
    super();
    process.nextTick(() => this.emit('error', error));
  }
}
