/**
 * A cooperative scheduler of generator tasks, where `yield` is a system call.
 *
 * Each task is a generator. When it yields, it gives up control: a bare `yield` just lets the others run;
 * yielding a system call (get my id, start a task, kill one, wait for one to exit, sleep, wait for I/O)
 * traps into the scheduler, which carries the request out and later resumes the task with the answer, as
 * an operating system does with a process. Tasks know each other only by id and never touch the scheduler.
 * The system calls, and the tiny generator that makes each (`const tid = yield* getTid()`), are in
 * protocol.ts.
 *
 * Use it to see how async/await works underneath (an `await` is a yield to a scheduler), or to run many
 * small state machines that wait on timers and streams in one process.
 * From Beazley's "A Curious Course on Coroutines and Concurrency" (2009), pyos1–pyos8.
 * Try: concur demo scheduler
 */
import { recorder, type ProcessRef } from '../../trace/events.js';
import type { SystemCall, TaskBody, TaskExit, TaskId } from './protocol.js';

// The system calls are the protocol between tasks and the scheduler (protocol.ts); offered here too.
export {
  awaitPromise,
  getTid,
  killTask,
  newTask,
  readWait,
  sleep,
  waitTask,
  writeWait,
  type SystemCall,
  type TaskBody,
  type TaskExit,
  type TaskId,
} from './protocol.js';

/** Scheduler options. */
export interface SchedulerOptions {
  /** Called as each task ends, in order (pyos prints "Task 2 terminated" here). */
  onExit?: (exit: TaskExit) => void;
  /** Task steps to run before letting the event loop deliver timers and I/O (default 256). */
  slice?: number;
  /** Names this scheduler's tasks in recorded events: role `<label> task N` (default: `task N`). */
  label?: string;
}

// ---- The scheduler. ----

interface Task {
  readonly tid: TaskId;
  readonly name: string;
  readonly body: TaskBody;
  /** The value the next resume sends in (the answer to its last system call). */
  sendValue: unknown;
  /** An error to throw in at the next resume, instead of sending a value. */
  throwValue?: { error: unknown };
  killed: boolean;
  /** The deadline of the timer that just woke this task, until it yields again. */
  clock?: number;
  /** Undo whatever the task is blocked on (a timer, a listener), when it is killed. */
  cancelWait?: () => void;
  /** How events name the task (only while recording): a role of its own in this process. */
  ref?: ProcessRef;
  /** The wait being recorded (`sleep 30 ms`, `wait task 2`...), ended when the task is scheduled again. */
  waitingOn?: string;
}

interface Timer {
  at: number;
  task: Task;
}

/**
 * Runs tasks round-robin. Between slices it lets Node's event loop deliver timers and I/O; when every task
 * is blocked it sleeps until one can go on. Tasks exit by returning, throwing, or being killed.
 */
export class Scheduler {
  private readonly ready: Task[] = [];
  private readonly tasks = new Map<TaskId, Task>();
  private readonly waiting = new Map<TaskId, Task[]>();
  private timers: Timer[] = [];
  private nextTid = 0;
  private wake?: () => void;
  private readonly exits: TaskExit[] = [];
  private readonly slice: number;
  /** Tasks blocked on something outside the scheduler (I/O, a promise): they may wake it up. */
  private readonly outside = new Set<Task>();

  constructor(private readonly options: SchedulerOptions = {}) {
    this.slice = options.slice ?? 256;
  }

  /** Add a task from outside (the scheduler's "boot"); returns its id. */
  spawn(body: TaskBody, name?: string): TaskId {
    const tid = ++this.nextTid;
    const task: Task = { tid, name: name ?? `task ${tid}`, body, sendValue: undefined, killed: false };
    if (recorder.enabled) {
      // Tasks are not processes: each gets a role (a row, a track) of its own, with this process's PID.
      const label = this.options.label === undefined ? '' : `${this.options.label} `;
      task.ref = { role: `${label}task ${tid}`, pid: process.pid };
      recorder.spawn(task.ref, { tid, name: task.name });
    }
    this.tasks.set(tid, task);
    this.schedule(task);
    return tid;
  }

  /** How many tasks exist (ready or blocked). */
  get size(): number {
    return this.tasks.size;
  }

  /** Run until every task has exited; resolves with their exits, in the order they happened. */
  async run(): Promise<TaskExit[]> {
    while (this.tasks.size > 0) {
      this.runSlice();
      // Timers fire one deadline at a time, in order, so wake-ups are deterministic even on a busy machine.
      if (this.fireDueTimers()) continue;
      if (this.tasks.size === 0) break;
      if (this.ready.length > 0) {
        // Tasks are ready, but let the event loop deliver I/O first, so a busy task cannot starve it.
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      if (this.timers.length === 0 && this.outside.size === 0) throw this.deadlock();
      await this.idle();
    }
    return this.exits;
  }

  // Every task is blocked: sleep until the first timer is due or something outside wakes a task.
  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const first = this.timers[0];
      const timer = first && setTimeout(() => this.resume(), Math.max(0, first.at - performance.now()));
      this.wake = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  }

  // Nothing can ever run again: every task waits for another task.
  private deadlock(): Error {
    const blocked = [...this.tasks.values()].map((task) => task.name).join(', ');
    return new Error(`deadlock: every task is waiting for another task to exit (${blocked})`);
  }

  // Run up to one slice of task steps from the ready queue.
  private runSlice(): void {
    for (let steps = 0; steps < this.slice; steps++) {
      const task = this.ready.shift();
      if (!task) return;
      this.step(task);
    }
  }

  // Resume one task until its next yield, and act on what it yielded.
  private step(task: Task): void {
    let result: IteratorResult<SystemCall | undefined, unknown>;
    const clock = task.clock;
    task.clock = undefined;
    if (task.ref) recorder.start(task.ref, 'run');
    try {
      if (task.killed) result = { done: true, value: undefined };
      else if (task.throwValue) {
        const { error } = task.throwValue;
        task.throwValue = undefined;
        result = task.body.throw(error);
      } else {
        const value = task.sendValue;
        task.sendValue = undefined;
        result = task.body.next(value);
      }
    } catch (error) {
      if (task.ref) recorder.end(task.ref, 'run');
      this.exit(task, { tid: task.tid, name: task.name, outcome: 'threw', error });
      return;
    }
    if (task.ref) recorder.end(task.ref, 'run');
    if (result.done) {
      const exit: TaskExit = task.killed
        ? { tid: task.tid, name: task.name, outcome: 'killed' }
        : { tid: task.tid, name: task.name, outcome: 'returned', value: result.value };
      this.exit(task, exit);
    } else if (result.value === undefined) this.schedule(task);
    else this.trap(task, result.value, clock);
  }

  // The trap handler: carry out one system call for `task`.
  private trap(task: Task, call: SystemCall, clock: number | undefined): void {
    switch (call.type) {
      case 'getTid':
        return this.answer(task, task.tid);
      case 'newTask':
        return this.answer(task, this.spawn(call.body, call.name));
      case 'killTask':
        return this.answer(task, this.kill(call.tid));
      case 'waitTask': {
        if (!this.tasks.has(call.tid)) return this.answer(task, undefined);
        const waiters = this.waiting.get(call.tid) ?? [];
        waiters.push(task);
        this.waiting.set(call.tid, waiters);
        this.waitStarts(task, `wait task ${call.tid}`);
        task.cancelWait = () => waiters.splice(waiters.indexOf(task), 1);
        return;
      }
      case 'sleep':
        return this.addTimer(task, call.ms, clock);
      case 'readWait': {
        const { stream } = call;
        if (stream.readableLength > 0 || stream.readableEnded || stream.destroyed) return this.schedule(task);
        return this.block(task, stream, ['readable', 'end', 'close', 'error'], 'read wait');
      }
      case 'writeWait': {
        const { stream } = call;
        if (!stream.writableNeedDrain || stream.destroyed) return this.schedule(task);
        return this.block(task, stream, ['drain', 'close', 'error'], 'write wait');
      }
      case 'await': {
        let cancelled = false;
        this.outside.add(task);
        this.waitStarts(task, 'await');
        task.cancelWait = () => {
          cancelled = true;
          this.outside.delete(task);
        };
        call.promise.then(
          (value) => !cancelled && this.unblock(task, value),
          (error: unknown) => {
            if (cancelled) return;
            task.throwValue = { error };
            this.unblock(task, undefined);
          },
        );
        return;
      }
      default: {
        const unknown: never = call;
        task.throwValue = { error: new TypeError(`unknown system call ${JSON.stringify(unknown)}`) };
        return this.schedule(task);
      }
    }
  }

  private answer(task: Task, value: unknown): void {
    task.sendValue = value;
    this.schedule(task);
  }

  private schedule(task: Task): void {
    if (task.waitingOn !== undefined) {
      if (task.ref) recorder.end(task.ref, task.waitingOn, { waiting: true });
      task.waitingOn = undefined;
    }
    this.ready.push(task);
  }

  // While recording: `task` is now blocked on `what`, until it is scheduled again.
  private waitStarts(task: Task, what: string): void {
    if (!task.ref) return;
    task.waitingOn = what;
    recorder.start(task.ref, what, { waiting: true });
  }

  // Park `task` until one of `events` fires on `emitter`.
  private block(task: Task, emitter: NodeJS.EventEmitter, events: string[], what: string): void {
    this.waitStarts(task, what);
    const onEvent = (): void => {
      for (const event of events) emitter.off(event, onEvent);
      this.unblock(task, undefined);
    };
    for (const event of events) emitter.on(event, onEvent);
    this.outside.add(task);
    task.cancelWait = () => {
      this.outside.delete(task);
      for (const event of events) emitter.off(event, onEvent);
    };
  }

  // A blocked task can go on: queue it and wake the run loop if it is sleeping.
  private unblock(task: Task, value: unknown): void {
    this.outside.delete(task);
    task.cancelWait = undefined;
    this.answer(task, value);
    this.resume();
  }

  private resume(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private addTimer(task: Task, ms: number, clock: number | undefined): void {
    // Measured from the deadline the task last woke at (if that was its last yield), not from "now":
    // a periodic task does not drift, and its deadlines do not depend on how busy the machine is.
    const timer: Timer = { at: (clock ?? performance.now()) + ms, task };
    let index = this.timers.length;
    // Sorted by deadline; equal deadlines keep the order they were set in.
    while (index > 0 && this.timers[index - 1]!.at > timer.at) index--;
    this.timers.splice(index, 0, timer);
    this.waitStarts(task, `sleep ${ms} ms`);
    task.cancelWait = () => (this.timers = this.timers.filter((t) => t !== timer));
  }

  // Wake the tasks whose timer is due, earliest deadline only; answers whether any woke.
  private fireDueTimers(): boolean {
    const first = this.timers[0];
    if (!first || first.at > performance.now()) return false;
    while (this.timers[0]?.at === first.at) {
      const { task, at } = this.timers.shift()!;
      task.cancelWait = undefined;
      task.clock = at;
      this.answer(task, undefined);
    }
    return true;
  }

  // Close a task's generator now (its finally blocks run); it leaves at its next turn, as in pyos.
  private kill(tid: TaskId): boolean {
    const task = this.tasks.get(tid);
    if (!task || task.killed) return false;
    task.killed = true;
    try {
      task.body.return(undefined);
    } catch {
      // An error raised while cleaning up does not stop the kill.
    }
    if (task.cancelWait) {
      task.cancelWait();
      task.cancelWait = undefined;
      this.schedule(task);
    }
    return true;
  }

  private exit(task: Task, exit: TaskExit): void {
    this.tasks.delete(task.tid);
    this.exits.push(exit);
    if (task.ref) {
      // A task that threw crashed; one that returned or was killed exited.
      const error = exit.outcome === 'threw' ? { error: String(exit.error) } : {};
      recorder.emit(task.ref.role, task.ref.pid, exit.outcome === 'threw' ? 'crash' : 'exit', {
        tid: task.tid,
        outcome: exit.outcome,
        ...error,
      });
    }
    this.options.onExit?.(exit);
    for (const waiter of this.waiting.get(task.tid) ?? []) {
      waiter.cancelWait = undefined;
      this.answer(waiter, exit);
    }
    this.waiting.delete(task.tid);
  }
}
