/**
 * The teaching coroutines of `concur demo coroutine`, after Beazley's countdown.py, grep.py and
 * grepclose.py. Each takes a `print` function instead of writing anywhere itself, so the same coroutine can
 * run in this process, in a child process fed by messages, or in a test.
 * Try: concur demo coroutine
 */
import { coroutine, type Coroutine } from './coroutine.js';

/** A generator pulled by iteration: counts down from `n` (countdown.py). */
export function* countdown(n: number, print: (line: string) => void): Generator<number, void, undefined> {
  print(`Counting down from ${n}`);
  for (; n > 0; n--) yield n;
}

/**
 * The grep coroutine, unprimed (grep.py + grepclose.py): announces itself, prints every line it receives
 * that contains `pattern`, and says goodbye when it is closed.
 */
export function* grepAndPrintUnprimed(
  pattern: string,
  print: (line: string) => void,
): Coroutine<string, void> {
  print(`Looking for ${pattern}`);
  try {
    for (;;) {
      const line: string = yield;
      if (line.includes(pattern)) print(line);
    }
  } finally {
    // return() lands here: Python's GeneratorExit.
    print('Going away. Goodbye');
  }
}

/** The same coroutine, primed by the `coroutine()` helper: ready to receive as soon as it is made. */
export const grepAndPrint = coroutine(grepAndPrintUnprimed);

/** The lines every step of the demo pushes around (a stand-in for a followed log file). */
export const sampleLines: readonly string[] = [
  'Yeah, but no, but yeah, but no',
  'A series of tubes',
  'python generators rock!',
  'ply is a parser generator written in python',
  'swig wraps C libraries for python',
  'ply and swig, side by side',
];
