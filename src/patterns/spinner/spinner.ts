/**
 * Spinner process: keep a spinner turning while the parent is too busy to draw it.
 *
 * The parent forks a child whose only job is the spinner, then blocks on a long CPU-bound computation.
 * The child's event loop is free, so frames keep coming; the two talk only through typed IPC messages
 * (src/patterns/spinner/protocol.ts). From the chapter's multiprocessing example (Simionato, python-list 2009), and the
 * reason the pattern exists: an in-process timer freezes while the main thread computes (`--in-process`).
 *
 * Use it when a CLI runs blocking work it cannot break up, or wraps another command that takes a while.
 * Try: concur demo spinner
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { recorder, type ProcessRef } from '../../trace/events.js';
import { terminalPolicy, type TerminalPolicy } from '../../terminal/policy.js';
import { forkChild, type ForkChildOptions } from '../../process/children.js';
import { receiveFrom } from '../../process/messages.js';
import {
  isFromSpinner,
  type FromSpinner,
  type SpinnerStats,
  type SpinnerStyle,
  type ToSpinner,
} from './protocol.js';

/** How to start a spinner. */
export interface SpinnerOptions {
  /** Text beside the spinner, e.g. "Counting primes…". */
  text: string;
  /** 'ora' (default: ora's dots, drawn as ora draws them) or 'classic' (`| / - \` with backspaces). */
  style?: SpinnerStyle;
  /** Milliseconds between frames; 80 for ora, 100 for classic (the chapter's DELAY = 0.1). */
  intervalMs?: number;
  /** What stderr allows; decided from the real stderr and env when omitted. */
  policy?: TerminalPolicy;
  /** Called with every message crossing the boundary, both ways (for narration and tests). */
  onMessage?: (direction: 'sent' | 'received', message: ToSpinner | FromSpinner) => void;
  /** Start the child without drawing anything: it then only guards (see `guard`). */
  hidden?: boolean;
  /** Dependency seam: how to fork the child (defaults to `forkChild`, which tracks it). */
  fork?: (modulePath: string, args: string[], options: ForkChildOptions) => ChildProcess;
}

/** The child's entry point, next to this file once built. */
export const spinnerChildPath = fileURLToPath(new URL('./spinner.child.js', import.meta.url));

/** Progress is sent at most once in this many frames (3 × 80 ms: the percentage moves four times a second). */
const PROGRESS_FRAMES = 3;

/** The parent's handle on a running spinner child. Every method is safe to call after the child died. */
export class SpinnerProcess {
  private statsReceived: SpinnerStats | undefined;
  private lastProgressAt = 0;
  /** The percentage last sent: the child shows whole percents, so a fraction that rounds the same is not sent. */
  private lastPercent = -1;
  /** Milliseconds between frames, as the child was told (progress is sent no more often). */
  intervalMs = 80;
  private readonly exited: Promise<void>;
  /** How events name the child, and the numbers of the messages sent to it, in order. */
  private readonly ref: ProcessRef;
  private readonly sent: number[] = [];

  private constructor(
    readonly child: ChildProcess,
    private readonly onMessage: SpinnerOptions['onMessage'],
    role: string,
  ) {
    this.ref = recorder.child(child, role);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    receiveFrom(child, isFromSpinner, (message) => {
      onMessage?.('received', message);
      this.record(message);
      if (message.type === 'stats') this.statsReceived = message.stats;
    });
    // A dead child must never take the parent down: a failed send is simply dropped.
    child.on('error', () => {});
  }

  /**
   * Fork the spinner child and tell it to start. Returns at once: the parent can begin blocking work
   * straight away, because messages wait in the channel until the child reads them.
   */
  static start(options: SpinnerOptions): SpinnerProcess {
    const fork = options.fork ?? forkChild;
    const policy = options.policy ?? terminalPolicy(process.stderr);
    // stdin 'ignore': the child must never touch the terminal's input (or Ctrl-C could be swallowed).
    // Not guarded: the spinner's event loop is never busy, so it notices its parent's death by itself.
    const child = fork(spinnerChildPath, [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      guarded: false,
    });
    const spinner = new SpinnerProcess(child, options.onMessage, options.hidden ? 'watcher' : 'spinner');
    const style = options.style ?? 'ora';
    if (options.hidden) return spinner;
    spinner.intervalMs = options.intervalMs ?? (style === 'classic' ? 100 : 80);
    spinner.send({
      type: 'start',
      text: options.text,
      style,
      animate: policy.animate,
      color: policy.color,
      intervalMs: spinner.intervalMs,
    });
    return spinner;
  }

  /** The child's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Send one protocol message, if the child is still there to hear it. `then` runs once the message has been
   * handed to the OS (or at once, when there is no child to send to).
   */
  send(message: ToSpinner, then?: () => void): void {
    if (!this.child.connected) return void then?.();
    this.onMessage?.('sent', message);
    if (recorder.enabled) {
      const { type, ...fields } = message;
      this.sent.push(recorder.send(recorder.self, this.ref, type, fields));
    }
    this.child.send(message, () => then?.());
  }

  // Record a message from the child; its final stats say when it handled each of ours and when it spun.
  private record(message: FromSpinner): void {
    if (!recorder.enabled) return;
    recorder.message(this.ref, recorder.self, message.type, undefined, message.at);
    if (message.type !== 'stats') return;
    const { received, receivedAt, spinning, animated } = message.stats;
    receivedAt.forEach((at, i) =>
      recorder.receive(this.ref, recorder.self, this.sent[i] ?? 0, received[i] ?? 'message', undefined, at),
    );
    for (const [from, to] of spinning) recorder.task(this.ref, 'spinning', from, to, { animated });
  }

  /**
   * Ask the child to kill process group `pgid` if this process dies, even by SIGKILL. `then` runs once the
   * request is on its way: from then on the group is guarded, even if this process dies the next instant.
   */
  guard(pgid: number, then?: () => void): void {
    this.send({ type: 'guard', pid: pgid, group: true }, then);
  }

  /**
   * Print output above the spinner (a wrapped command's), so the two never garble each other. Text without a
   * final newline is a partial line, such as a prompt. Once the child has gone (Ctrl-C), it is written here.
   */
  log(stream: 'stdout' | 'stderr', text: string): void {
    if (this.child.connected) this.send({ type: 'log', stream, text });
    else process[stream].write(text);
  }

  /** Change the text, or show progress as a fraction 0..1. */
  update(text?: string, fraction?: number): void {
    // Each message wakes the child, and costs it about as much as drawing a frame: progress goes at most once
    // every PROGRESS_FRAMES frames, and only when the whole percent on screen would change.
    const now = performance.now();
    const percent = fraction === undefined ? -1 : Math.floor(fraction * 100);
    if (text === undefined) {
      if (now - this.lastProgressAt < this.intervalMs * PROGRESS_FRAMES || percent === this.lastPercent)
        return;
    }
    this.lastProgressAt = now;
    this.lastPercent = percent;
    this.send({ type: 'update', text, fraction });
  }

  /**
   * Finish with a final line (✔ or ✖), or none, and wait for the child to report and exit.
   * Resolves with the child's stats, or undefined if it died first or took longer than `timeoutMs`.
   */
  async finish(
    kind: 'succeed' | 'fail' | 'stop',
    text = '',
    timeoutMs = 2000,
  ): Promise<SpinnerStats | undefined> {
    this.send(kind === 'stop' ? { type: 'stop' } : { type: kind, text });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.statsReceived;
  }
}

/** Reports progress from inside a task: new text, a fraction 0..1, or both. */
export type Progress = (update: { text?: string; fraction?: number }) => void;

/** What `withSpinner` returns: the task's value, its duration, and what the spinner measured. */
export interface SpinnerRun<T> {
  value: T;
  /** Milliseconds the task itself took (not counting the spinner's start-up or shutdown). */
  elapsedMs: number;
  /** The spinner's own report, or undefined if the child died. */
  stats: SpinnerStats | undefined;
}

/**
 * Run `task` (sync or async, blocking or not) while a forked child shows a spinner.
 * The final line is `done(value, elapsedMs)`; if the task throws, the spinner fails with the error's message.
 */
export async function withSpinner<T>(
  task: (progress: Progress) => T | Promise<T>,
  options: SpinnerOptions & { done?: (value: T, elapsedMs: number) => string },
): Promise<SpinnerRun<T>> {
  const spinner = SpinnerProcess.start(options);
  const progress: Progress = ({ text, fraction }) => spinner.update(text, fraction);
  const started = performance.now();
  let value: T;
  try {
    value = await task(progress);
  } catch (error) {
    await spinner.finish('fail', error instanceof Error ? error.message : String(error));
    throw error;
  }
  const elapsedMs = performance.now() - started;
  const text = options.done?.(value, elapsedMs) ?? `Done in ${(elapsedMs / 1000).toFixed(1)} s`;
  const stats = await spinner.finish('succeed', text);
  return { value, elapsedMs, stats };
}

/**
 * The counter-example: the same spinner on a timer inside this process. While `task` blocks, the timer
 * cannot fire, so the spinner freezes. Returns how many frames were drawn and how many were due.
 */
export async function withInProcessSpinner<T>(
  task: (progress: Progress) => T | Promise<T>,
  options: Pick<SpinnerOptions, 'text' | 'intervalMs' | 'policy'>,
): Promise<SpinnerRun<T> & { framesDue: number }> {
  const policy = options.policy ?? terminalPolicy(process.stderr);
  const intervalMs = options.intervalMs ?? 80;
  // Loaded here, not at the top: the parent of a forked spinner never draws itself.
  const { createRenderer } = await import('./render.js');
  const { FrameClock } = await import('./clock.js');
  const clock = new FrameClock();
  // Traces show this timer as a row of its own inside the parent, to set beside the child's.
  const timer = { role: 'spinner (in-process)', pid: process.pid };
  recorder.emit(timer.role, timer.pid, 'note', { timer: 'started', intervalMs });
  const renderer = createRenderer(
    {
      type: 'start',
      text: options.text,
      style: 'ora',
      animate: policy.animate,
      color: policy.color,
      intervalMs,
    },
    clock,
  );
  const started = performance.now();
  try {
    const value = await task(({ text, fraction }) => {
      if (text !== undefined || fraction !== undefined)
        renderer.update(
          `${text ?? options.text}${fraction === undefined ? '' : ` ${Math.floor(fraction * 100)}%`}`,
        );
    });
    const elapsedMs = performance.now() - started;
    const framesDue = Math.max(1, Math.floor(elapsedMs / intervalMs));
    return { value, elapsedMs, stats: clock.stats(policy.animate), framesDue };
  } finally {
    renderer.clear();
    if (recorder.enabled) {
      const { spinning, frames } = clock.stats(policy.animate);
      for (const [from, to] of spinning)
        recorder.task(timer, 'spinning', from, to, { animated: policy.animate });
      const due = Math.max(1, Math.floor((performance.now() - started) / intervalMs));
      recorder.emit(timer.role, timer.pid, 'exit', { frames, due });
    }
  }
}
