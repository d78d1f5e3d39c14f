/**
 * Coroutines with `yield`: generators that receive values as well as produce them.
 *
 * A generator pulled by a `for…of` loop produces values; the same generator driven by `next(value)` consumes
 * them: `const line = yield` waits for the next value pushed in. Chained, such coroutines make push
 * pipelines (source → filter → sink) and broadcast networks with no threads, no queues and no callbacks:
 * each `next(value)` is a plain function call into a suspended frame. `return()` closes one (running its
 * `finally`), `throw(error)` raises an error at the `yield` where it waits.
 *
 * Use them for event-driven processing where data arrives (is pushed) rather than being asked for: parsers,
 * protocol state machines, log filters, and the stages of `concur coroutine`.
 * From David Beazley, "A Curious Course on Coroutines and Concurrency" (PyCon 2009): grep.py, copipe.py,
 * cobroadcast.py, cocrash.py.
 * Try: concur demo coroutine
 */

/**
 * A coroutine that receives values of type `T` through `next(value)`. What it yields back is up to it
 * (often nothing); it never returns on its own unless it chooses to stop listening.
 */
export type Coroutine<T, Y = unknown> = Generator<Y, unknown, T>;

/**
 * Prime a coroutine: run it to its first `yield`, so that it is ready to receive.
 * In JavaScript the value passed to the very first `next(value)` is silently dropped (the generator had no
 * `yield` waiting for it yet), so an unprimed coroutine loses its first item. Python raises instead.
 */
export function prime<G extends Generator<unknown, unknown, never>>(generator: G): G {
  generator.next();
  return generator;
}

/**
 * Wrap a generator function so that calling it returns a primed coroutine (Beazley's `@coroutine`).
 *
 *     const grep = coroutine(function* (pattern: string) { for (;;) { const line: string = yield; … } });
 *     const g = grep('python');   // already at its first yield
 *     g.next('python generators rock!');
 */
export function coroutine<A extends unknown[], G extends Generator<unknown, unknown, never>>(
  generatorFunction: (...args: A) => G,
): (...args: A) => G {
  const primed = (...args: A): G => prime(generatorFunction(...args));
  Object.defineProperty(primed, 'name', { value: generatorFunction.name });
  return primed;
}

/** Push every value of `source` into `target`, then close the target (a push pipeline's source). */
export function pushAll<T>(source: Iterable<T>, target: Coroutine<T>, close = true): void {
  for (const value of source) target.next(value);
  if (close) target.return(undefined);
}

/** Pass on the values for which `predicate` holds (a filter stage). */
export const filter = coroutine(function* filter<T>(
  predicate: (value: T) => boolean,
  target: Coroutine<T>,
): Coroutine<T, void> {
  try {
    for (;;) {
      const value: T = yield;
      if (predicate(value)) target.next(value);
    }
  } finally {
    // Closing a stage closes what it feeds, so end of input flows downstream.
    target.return(undefined);
  }
});

/** Pass on `transform(value)` for every value (a map stage; named apart from the fan-out pool's `map`). */
export const mapCoroutine = coroutine(function* mapCoroutine<T, U>(
  transform: (value: T) => U,
  target: Coroutine<U>,
): Coroutine<T, void> {
  try {
    for (;;) {
      const value: T = yield;
      target.next(transform(value));
    }
  } finally {
    target.return(undefined);
  }
});

/** Pass on the lines that contain `pattern` (Beazley's grep coroutine, as a filter stage). */
export function grep(pattern: string, target: Coroutine<string>): Coroutine<string, void> {
  return filter((line: string) => line.includes(pattern), target);
}

/** A sink: call `consume` with every value received; `done` runs when the coroutine is closed. */
export const sink = coroutine(function* sink<T>(
  consume: (value: T) => void,
  done?: () => void,
): Coroutine<T, void> {
  try {
    for (;;) consume(yield);
  } finally {
    done?.();
  }
});

/** A sink that appends every value to `into` (handy in tests and demos). */
export function collect<T>(into: T[]): Coroutine<T, void> {
  return sink((value: T) => into.push(value));
}

/**
 * Send every value to each of `targets`, in order (Beazley's broadcast). Closing it closes each target
 * once, even when several of them are the same coroutine (fan-in: many branches into one sink).
 */
export const broadcast = coroutine(function* broadcast<T>(
  targets: readonly Coroutine<T>[],
): Coroutine<T, void> {
  try {
    for (;;) {
      const value: T = yield;
      for (const target of targets) target.next(value);
    }
  } finally {
    for (const target of new Set(targets)) target.return(undefined);
  }
});

/**
 * Close a coroutine: `return()` makes its waiting `yield` act like a `return`, so its `finally` blocks run.
 * Returns what the coroutine yielded or returned while closing (usually nothing).
 */
export function close<T>(target: Coroutine<T>): unknown {
  return target.return(undefined).value;
}

/**
 * Raise `error` inside a coroutine at the `yield` where it waits. If the coroutine catches it, the value it
 * yields next is returned (`{ caught: true }`); if not, the error comes back out here, and the coroutine
 * is finished (`{ caught: false }`).
 */
export function throwInto<T>(target: Coroutine<T>, error: unknown): { caught: boolean; value?: unknown } {
  try {
    const step = target.throw(error);
    return { caught: true, value: step.value };
  } catch (thrown) {
    if (thrown !== error) throw thrown;
    return { caught: false };
  }
}
