/**
 * The protocol between the tasks of the generator scheduler (scheduler.ts) and the scheduler itself: what a task
 * may `yield` (a system call, a discriminated union on `type`) and how a task ends. Each system call has a
 * one-line generator, so a task writes `const tid = yield* getTid()` and gets a typed answer back, as a program
 * calls into an operating system.
 * Try: concur demo scheduler
 */
import type { Readable, Writable } from 'node:stream';

/** A task id: the only way tasks refer to each other. */
export type TaskId = number;

/** What a task may ask of the scheduler: the `yield`ed value, a discriminated union on `type`. */
export type SystemCall =
  | { type: 'getTid' }
  | { type: 'newTask'; body: TaskBody; name?: string }
  | { type: 'killTask'; tid: TaskId }
  | { type: 'waitTask'; tid: TaskId }
  | { type: 'sleep'; ms: number }
  /** Resume when `stream` has data to read, or has ended. */
  | { type: 'readWait'; stream: Readable }
  /** Resume when `stream` can take more data (no backpressure). */
  | { type: 'writeWait'; stream: Writable }
  /** Resume with the promise's value, or with its rejection thrown at the `yield`. */
  | { type: 'await'; promise: PromiseLike<unknown> };

/**
 * A task: a generator that yields system calls (or nothing, to let others run). `R` is what it returns;
 * a helper that tasks call with `yield*` has the same type (`TaskBody<string[]>` for a line reader).
 */
export type TaskBody<R = unknown> = Generator<SystemCall | undefined, R, unknown>;

/** How a task ended. */
export type TaskExit =
  | { tid: TaskId; name: string; outcome: 'returned'; value: unknown }
  | { tid: TaskId; name: string; outcome: 'threw'; error: unknown }
  | { tid: TaskId; name: string; outcome: 'killed' };

/** This task's id. */
export function* getTid(): Generator<SystemCall, TaskId, unknown> {
  return (yield { type: 'getTid' }) as TaskId;
}

/** Start a new task; answers its id. */
export function* newTask(body: TaskBody, name?: string): Generator<SystemCall, TaskId, unknown> {
  return (yield { type: 'newTask', body, name }) as TaskId;
}

/** Kill a task by id (its `finally` blocks run); answers whether there was such a task. */
export function* killTask(tid: TaskId): Generator<SystemCall, boolean, unknown> {
  return (yield { type: 'killTask', tid }) as boolean;
}

/** Wait until a task exits; answers how it ended, or undefined at once if there is no such task. */
export function* waitTask(tid: TaskId): Generator<SystemCall, TaskExit | undefined, unknown> {
  return (yield { type: 'waitTask', tid }) as TaskExit | undefined;
}

/** Sleep for `ms` milliseconds while the other tasks run. */
export function* sleep(ms: number): Generator<SystemCall, void, unknown> {
  yield { type: 'sleep', ms };
}

/** Wait until `stream` is readable (or ended), without blocking the other tasks. */
export function* readWait(stream: Readable): Generator<SystemCall, void, unknown> {
  yield { type: 'readWait', stream };
}

/** Wait until `stream` has drained its backpressure. */
export function* writeWait(stream: Writable): Generator<SystemCall, void, unknown> {
  yield { type: 'writeWait', stream };
}

/** Wait for a promise: the task resumes with its value, or the rejection is thrown into it. */
export function* awaitPromise<T>(promise: PromiseLike<T>): Generator<SystemCall, T, unknown> {
  return (yield { type: 'await', promise }) as T;
}
