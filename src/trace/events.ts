/**
 * Events: what happened, when, in which process. Every pattern already exchanges messages; recording them (and
 * the spawns, tasks, crashes and exits around them) turns a run into a story that tools can read
 * (`--events run.ndjson`, `concur demo fan-out --json | jq`) and people can look at (`--trace`, `--timeline`).
 *
 * One process-wide `recorder` collects everything. While nothing listens (no `--json` demo, no `--events`,
 * `--trace` or `--timeline`), every call returns at once, so patterns can record unconditionally.
 *
 * Conventions (the README documents them as the event schema):
 * - `role` and `pid` name the process the event is about: the child for spawn/exit/crash/restart, the sender
 *   for `send`, the receiver for `receive`, the process doing the work for `start`/`end`.
 * - `send`/`receive` carry `msg` (the same number on both sides of one message), `type`, and `to`/`toPid` or
 *   `from`/`fromPid`. `start`/`end` carry `task` (and `span` when two tasks of one name overlap in a process).
 * - `ts` is epoch milliseconds on a clock shared by every process of the run (src/trace/clock.ts); children report
 *   their own times in the messages they already send, and the parent records the events with those times.
 */
import { epochNow } from './clock.js';

/** The kinds of thing that happen in a concurrent run. */
export type EventKind =
  'spawn' | 'send' | 'receive' | 'start' | 'end' | 'crash' | 'restart' | 'exit' | 'result' | 'note';

/** One event, one NDJSON line. */
export interface ConcurEvent {
  /** Milliseconds since concur started (since the log began, for a log made with `new EventLog()`). */
  t: number;
  /** When, in epoch milliseconds on the clock every process of the run shares. */
  ts: number;
  /** Which process: its role ("parent", "spinner", "worker 2", ...) and PID. */
  role: string;
  pid: number;
  kind: EventKind;
  /** What the event is about: a message, a task, a result, an exit code... */
  data?: Record<string, unknown>;
}

/** A process as events name it: its role in the pattern and its PID. */
export interface ProcessRef {
  readonly role: string;
  readonly pid: number;
}

/** What `child()` needs of a child process (a ChildProcess has it). */
export interface ChildLike {
  readonly pid?: number | undefined;
  readonly killed?: boolean;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
}

/** Extra fields for an event. */
export type EventData = Record<string, unknown>;

/** A command line as recorded or shown: the password in any `scheme://user:password@` URL becomes `***`. */
export function maskCredentials(argv: readonly string[]): string[] {
  return argv.map((arg) =>
    arg.replace(/(\/\/[^/@:\s]*:)[^/@\s]+@/g, '$1***@').replace(/(\/\/)[^/@:\s]+@/g, '$1***@'),
  );
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Collects events and hands each one to the listeners (stdout NDJSON, files, traces, timelines). */
export class EventLog {
  /** `performance.now()` when the log was created. */
  readonly startedAt = performance.now();
  /** The epoch millisecond that `t` counts from. */
  readonly origin: number;
  /** The process doing the recording: concur itself, in the role "parent". */
  readonly self: ProcessRef = { role: 'parent', pid: process.pid };
  /** True while someone listens; when false, recording costs one property read. */
  enabled = false;
  private readonly listeners: ((event: ConcurEvent) => void)[] = [];
  private lastMessage = 0;
  private opening: ConcurEvent | undefined;
  private exitRecorded = false;

  /**
   * `origin`: the epoch millisecond `t` counts from (default: now). `lifecycle`: open the stream with this
   * process's own spawn (when it started, with its command line) and close it with its exit.
   */
  constructor(
    origin?: number,
    private readonly lifecycle = false,
  ) {
    this.origin = origin ?? performance.timeOrigin + this.startedAt;
  }

  /** Record an event now, or at `at` (epoch ms, e.g. a time a child reported). */
  emit(role: string, pid: number, kind: EventKind, data?: EventData, at?: number): ConcurEvent | undefined {
    if (!this.enabled) return undefined;
    const ts = at ?? epochNow();
    const event: ConcurEvent = { t: round(ts - this.origin), ts: round(ts), role, pid, kind };
    if (data) event.data = data;
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** Call `listener` for every event from now on (and, with `lifecycle`, first for the run's opening event). */
  subscribe(listener: (event: ConcurEvent) => void): void {
    this.listeners.push(listener);
    this.enabled = true;
    if (!this.lifecycle) return;
    if (!this.opening) {
      const ts = performance.timeOrigin;
      const data = { ppid: process.ppid, argv: maskCredentials(process.argv.slice(2)) };
      this.opening = { t: round(ts - this.origin), ts: round(ts), ...this.self, kind: 'spawn', data };
      process.once('exit', (code) => this.recordExit({ code }));
    }
    // Every listener, however late, starts with the same first event.
    listener(this.opening);
  }

  /** Record this process's own exit, once: on 'exit', or earlier when a signal is about to end it. */
  recordExit(ending: { code: number; signal?: NodeJS.Signals }): void {
    if (!this.lifecycle || !this.enabled || this.exitRecorded) return;
    this.exitRecorded = true;
    this.emit(this.self.role, this.self.pid, 'exit', ending);
  }

  /** `child` was started (by this process). */
  spawn(child: ProcessRef, data?: EventData, at?: number): void {
    if (!this.enabled) return;
    this.emit(
      child.role,
      child.pid,
      'spawn',
      { parent: this.self.role, parentPid: this.self.pid, ...data },
      at,
    );
  }

  /**
   * `from` sent a message of `type` to `to`. Returns the message's number, to pass to `receive` when its
   * arrival is known (0 while nothing is recording).
   */
  send(from: ProcessRef, to: ProcessRef, type: string, data?: EventData, at?: number): number {
    if (!this.enabled) return 0;
    const msg = ++this.lastMessage;
    this.emit(from.role, from.pid, 'send', { msg, type, to: to.role, toPid: to.pid, ...data }, at);
    return msg;
  }

  /** `to` received message number `msg` (from `send`) of `type`, sent by `from`. */
  receive(to: ProcessRef, from: ProcessRef, msg: number, type: string, data?: EventData, at?: number): void {
    if (!this.enabled || msg === 0) return;
    this.emit(to.role, to.pid, 'receive', { msg, type, from: from.role, fromPid: from.pid, ...data }, at);
  }

  /**
   * Record that `child` (just started by this process) lives in `role`, and, when it ends, its exit: `exit` if
   * it ended with code 0 or by a signal this process sent it, `crash` otherwise. Returns how events name it.
   */
  child(child: ChildLike, role: string, data?: EventData): ProcessRef {
    const ref = { role, pid: child.pid ?? 0 };
    if (!this.enabled) return ref;
    this.spawn(ref, data);
    child.once('exit', (code, signal) => {
      const expected = code === 0 || (signal !== null && child.killed === true);
      this.emit(role, ref.pid, expected ? 'exit' : 'crash', { code, signal });
    });
    return ref;
  }

  /** A message whose sending and arrival are both known (times default to now). Returns its number. */
  message(
    from: ProcessRef,
    to: ProcessRef,
    type: string,
    data?: EventData,
    sentAt?: number,
    receivedAt?: number,
  ): number {
    if (!this.enabled) return 0;
    const msg = this.send(from, to, type, data, sentAt);
    this.receive(to, from, msg, type, data, receivedAt);
    return msg;
  }

  /** `process` began `task` (pair with `end`; give `span` in data if two of the same name overlap). */
  start(process: ProcessRef, task: string, data?: EventData, at?: number): void {
    if (this.enabled) this.emit(process.role, process.pid, 'start', { task, ...data }, at);
  }

  /** `process` finished `task`. */
  end(process: ProcessRef, task: string, data?: EventData, at?: number): void {
    if (this.enabled) this.emit(process.role, process.pid, 'end', { task, ...data }, at);
  }

  /** A task whose start and end are both known, e.g. from times a worker reported. */
  task(process: ProcessRef, task: string, startedAt: number, endedAt: number, data?: EventData): void {
    if (!this.enabled) return;
    this.start(process, task, data, startedAt);
    this.end(process, task, data, endedAt);
  }
}

/** The one log of this process: patterns and commands record into it; sinks subscribe to it. */
export const recorder = new EventLog(performance.timeOrigin, true);
