/**
 * A launcher per slot: one small `/bin/sh` that forks and execs each job of its slot, so concur itself forks
 * once per slot instead of once per job. Forking a Node process copies its page tables (tens of megabytes of
 * heap): about 1.4 ms of CPU per job, which caps Node's `spawn` near 550 jobs/s on two cores. A shell is a few
 * hundred kilobytes; it forks in a tenth of that. This is how GNU parallel and xargs are fast: a small process
 * does the fork/exec/wait loop.
 *
 * The protocol is three lines per job on the launcher's stdin (where to put the job's stdout, its stderr, and the
 * quoted command) and one line back on its stdout: the job's exit status. The job writes into two files of its
 * own (in a private directory), read and removed when its status arrives: output stays whole per job, and a
 * grandchild that lingers in the background can never write into the next job's output.
 *
 * Every job of a slot runs in the launcher's process group (the launcher is detached): a timeout or a stop
 * signals the group, which takes the job, its grandchildren and the launcher; the slot then gets a new launcher.
 * The shell reports a job killed by signal n as status 128+n, as every shell does: concur reads a status above
 * 128 as that signal.
 * Try: seq 5000 | concur fan-out -j 2 -- true
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { signalGroup, track } from '../../process/children.js';
import { recorder, type ProcessRef } from '../../trace/events.js';

// Read a job (three lines), run it with its output in its own files, report its status; exit at end of input.
// `N` holds a newline, so an argument with one travels on one line (see quoteForLauncher).
const SCRIPT = `N='
'
while IFS= read -r out && IFS= read -r err && IFS= read -r cmd; do
  eval "$cmd" </dev/null >"$out" 2>"$err"
  echo "$?"
done`;

const signalNames = new Map(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

/** `a'b` → `'a'\''b'`; a newline becomes `'"$N"'`, so each job is one line for the launcher's `read`. */
export function quoteForLauncher(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`).replaceAll('\n', `'"$N"'`)}'`;
}

/** The launchers of one run, one per slot, started on first use and replaced when a kill takes one down. */
export class Launchers {
  private readonly dir = mkdtempSync(join(tmpdir(), 'concur-jobs-'));
  private readonly bySlot = new Map<number, Launcher>();
  private readonly removeDir = (): void => rmSync(this.dir, { recursive: true, force: true });
  private count = 0;

  constructor(private readonly env: NodeJS.ProcessEnv) {
    process.once('exit', this.removeDir);
  }

  /** Start `argv` (its program already resolved to `file`) on `slot`'s launcher. */
  start(slot: number, file: string, argv: readonly string[]): LaunchedJob {
    let launcher = this.bySlot.get(slot);
    if (!launcher?.usable) {
      launcher = new Launcher(slot, this.env);
      this.bySlot.set(slot, launcher);
    }
    const base = join(this.dir, String(++this.count));
    const command = [file, ...argv.slice(1)].map(quoteForLauncher).join(' ');
    return launcher.run(base, command);
  }

  /** Let every launcher finish (end of input), wait for them to exit, and remove the output directory. */
  async close(): Promise<void> {
    const launchers = [...this.bySlot.values()];
    this.bySlot.clear();
    await Promise.all(launchers.map((launcher) => launcher.close()));
    this.removeDir();
    process.removeListener('exit', this.removeDir);
  }
}

// One `/bin/sh` running the jobs of one slot, one at a time.
class Launcher {
  private readonly child: ChildProcess;
  private readonly trace: ProcessRef;
  private readonly exited: Promise<void>;
  private current: LaunchedJob | undefined;
  private status = '';
  private dead = false;

  constructor(slot: number, env: NodeJS.ProcessEnv) {
    this.child = spawn('/bin/sh', ['-c', SCRIPT], {
      detached: true,
      stdio: ['pipe', 'pipe', 'inherit'],
      env,
    });
    track(this.child, { group: true });
    this.trace = recorder.child(this.child, `slot ${slot}`, { argv: ['sh', '-c', '<launcher>'] });
    this.exited = new Promise((resolve) => this.child.once('close', () => resolve()));
    this.child.stdin!.on('error', () => {}); // A launcher killed while we write: its 'close' reports it.
    this.child.stdout!.setEncoding('latin1');
    this.child.stdout!.on('data', (text: string) => {
      this.status += text;
      const newline = this.status.indexOf('\n');
      if (newline < 0) return;
      const code = Number(this.status.slice(0, newline));
      this.status = this.status.slice(newline + 1);
      const job = this.current;
      this.current = undefined;
      job?.finish(code);
    });
    this.child.once('close', (code, signal) => {
      this.dead = true;
      const job = this.current;
      this.current = undefined;
      job?.launcherDied(code, signal);
    });
  }

  /** Free for a job: alive, and not signalled since its last job. */
  get usable(): boolean {
    return !this.dead && this.current === undefined && this.child.pid !== undefined;
  }

  run(base: string, command: string): LaunchedJob {
    const job = new LaunchedJob(this.child.pid!, base, this.trace, () => (this.dead = true));
    this.current = job;
    this.child.stdin!.write(`${base}.out\n${base}.err\n${command}\n`);
    return job;
  }

  close(): Promise<void> {
    this.child.stdin!.end();
    return this.exited;
  }
}

/**
 * One job on a launcher, shaped like the ChildProcess it stands for: `pid` (the launcher's, which leads the
 * job's process group), `stdout` and `stderr` that emit the job's output whole, and 'close' with code or signal.
 */
export class LaunchedJob extends EventEmitter {
  readonly stdout = new EventEmitter();
  readonly stderr = new EventEmitter();

  constructor(
    readonly pid: number,
    private readonly base: string,
    /** The slot's track in traces: each job is a task on it. */
    readonly trace: ProcessRef,
    private readonly markKilled: () => void,
  ) {
    super();
  }

  /** A signal to the job reaches its whole group, launcher included: the slot must get a new launcher. */
  signalled(): void {
    this.markKilled();
  }

  // The launcher reported the job's status: hand over its output, then close.
  finish(status: number): void {
    this.emitOutput();
    const signal = status > 128 ? signalNames.get(status - 128) : undefined;
    this.emit('close', signal ? null : status, signal ?? null);
  }

  // The launcher died under the job (a kill): wait until nothing of the group is left, then close.
  launcherDied(code: number | null, signal: NodeJS.Signals | null): void {
    const done = (): void => {
      this.emitOutput();
      this.emit('close', signal ? null : (code ?? 1), signal);
    };
    const poll = (): void => {
      if (signalGroup(this.pid, 0)) setTimeout(poll, 20);
      else done();
    };
    poll();
  }

  private emitOutput(): void {
    for (const [stream, file] of [
      [this.stdout, `${this.base}.out`],
      [this.stderr, `${this.base}.err`],
    ] as const) {
      const data = readOutput(file);
      if (data.length > 0) stream.emit('data', data);
      stream.emit('end');
    }
  }
}

// A job's output file, read and removed; empty if the job never got to create it.
function readOutput(file: string): Buffer {
  try {
    const data = readFileSync(file);
    unlinkSync(file);
    return data;
  } catch {
    return Buffer.alloc(0);
  }
}
