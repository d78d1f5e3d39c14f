/**
 * The two streams behind output.ts, without its colours (so a pipeline stage, which only needs these, starts
 * without loading chalk): the real stdout for data, and the switch that sends user code's output to stderr.
 * Import them from output.ts, except in a child process that must start fast.
 */
import { Console } from 'node:console';

/**
 * The real stdout, kept before `isolateUserOutput` can point `process.stdout` at stderr: concur's data goes
 * here and nowhere else.
 */
export const dataOut: NodeJS.WriteStream = process.stdout;

let isolated = false;

/**
 * From now on, user code's `console.*` and `process.stdout.write` go to stderr, so nothing it prints can become
 * data; concur's own data still goes to the real stdout (`dataOut`, `writeData`). Call it before loading user
 * modules in a process whose stdout carries data (a pipeline stage, `concur coroutine`).
 */
export function isolateUserOutput(): void {
  if (isolated) return;
  isolated = true;
  const stderr = process.stderr;
  Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: () => stderr });
  // The global console may already hold the real stdout: give it a stderr-only console's methods (bound to that
  // console, so counters, timers and group indentation keep working). `import console from 'node:console'` is
  // the same object, so it is covered too.
  const toStderr = new Console({ stdout: stderr, stderr });
  const target = console as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(toStderr)) if (typeof value === 'function') target[key] = value;
}
