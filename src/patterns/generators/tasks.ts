/**
 * The road from generators to async/await, in Beazley's steps:
 * - task.py: a Task wraps a coroutine with an id and runs it one step at a time; a scheduler is a queue of them.
 * - bogus.py: a generator that both produces values (iteration) and receives them (send) is confusing,
 *   because each `next(value)` also takes a value out. `yield` is for iteration, for receiving, or for traps
 *   to a scheduler; never mixed.
 * - trampoline.py and pyos8: a coroutine cannot call a sub-coroutine by calling it (that only makes a
 *   generator), so the driver does it: on a yielded generator, it pushes the caller on a per-task stack, runs
 *   the callee, and sends its result back to the caller. JavaScript's `yield*` is that stack, built in; and
 *   `await` is `yield*` with a promise as the trap.
 * Use it to see what `yield*` and `await` do for you, before writing a scheduler or an async library.
 * Try: concur demo generators
 */

/** A coroutine with a task id, run one step at a time (task.py). */
export class Task {
  private static lastId = 0;
  /** This task's id. */
  readonly tid = ++Task.lastId;
  /** The value the next step sends in. */
  sendValue: unknown = undefined;

  constructor(private readonly target: Generator<unknown, unknown, unknown>) {}

  /** Run the coroutine to its next yield; answers what it yielded. */
  run(): IteratorResult<unknown, unknown> {
    return this.target.next(this.sendValue);
  }
}

/** bogus.py's countdown: yields n, and a value sent in resets it. */
export function* bogusCountdown(n: number, print: (line: string) => void): Generator<number, void, unknown> {
  print(`Counting down from ${n}`);
  while (n >= 0) {
    const newValue = yield n;
    if (typeof newValue === 'number') n = newValue;
    else n -= 1;
  }
}

/** The loop bogus.py runs: iterate, and send 3 when 5 comes out. Answers the values the loop saw. */
export function holyGrail(print: (line: string) => void): number[] {
  const seen: number[] = [];
  const c = bogusCountdown(5, print);
  for (const x of c) {
    seen.push(x);
    if (x === 5) c.next(3);
  }
  return seen;
}

/** trampoline.py's sub-coroutine: a generator whose "result" is what it yields. */
function* addYielding(x: number, y: number): Generator<number, void, unknown> {
  yield x + y;
}

/** trampoline.py: main yields the sub-coroutine it wants to call, and the driver calls it. */
export function trampoline(print: (value: number) => void): void {
  function* main(): Generator<Generator<number>, void, number> {
    const r = yield addYielding(2, 2);
    print(r);
    yield addYielding(0, 0);
  }
  const m = main();
  const sub = m.next().value;
  if (!sub) return;
  const result = sub.next().value;
  if (typeof result === 'number') m.next(result);
}

/** A sub-coroutine in the returning style: its result is its return value. */
// It needs no yield: a sub-coroutine with nothing to wait for still has to be a generator to be called with yield*.
// eslint-disable-next-line require-yield
function* add(x: number, y: number): Generator<never, number, unknown> {
  return x + y;
}

/**
 * pyos8's per-task call stack: run `task`; when it yields a generator, that is a call (push the caller,
 * run the callee); when a callee returns, pop and send its value to the caller. Answers the deepest stack.
 */
export function runWithStack(task: Generator<unknown, unknown, unknown>): number {
  const stack: Generator<unknown, unknown, unknown>[] = [];
  let current = task;
  let send: unknown = undefined;
  let deepest = 1;
  for (;;) {
    const step = current.next(send);
    if (step.done) {
      const caller = stack.pop();
      if (!caller) return deepest;
      current = caller;
      send = step.value;
    } else if (isGenerator(step.value)) {
      stack.push(current);
      deepest = Math.max(deepest, stack.length + 1);
      current = step.value;
      send = undefined;
    } else send = undefined;
  }
}

function isGenerator(value: unknown): value is Generator<unknown, unknown, unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Generator).next === 'function';
}

/** main for runWithStack: `yield add(2, 2)` is a call the driver makes. */
export function* mainWithStack(print: (value: number) => void): Generator<unknown, void, unknown> {
  const r = (yield add(2, 2)) as number;
  print(r);
}

/** The same main with `yield*`: the engine keeps the stack; add's return value is the expression's. */
export function* mainWithDelegation(print: (value: number) => void): Generator<never, void, unknown> {
  const r = yield* add(2, 2);
  print(r);
}

/** And with async/await: `await` suspends main until the callee's promise settles. */
export async function mainAsync(print: (value: number) => void): Promise<void> {
  const addAsync = async (x: number, y: number): Promise<number> => x + y;
  const r = await addAsync(2, 2);
  print(r);
}
