/**
 * Expected failures carry their exit code, so the CLI maps them without guessing.
 * The message says what went wrong and what to do next; it is printed as one line, never with a stack.
 */

/** Exit codes concur promises to the shell. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** 128 + SIGINT (2). */
  interrupted: 130,
  /** 128 + SIGTERM (15). */
  terminated: 143,
} as const;

/** An expected failure: a one-line message for people, an exit code for the shell. */
export class ConcurError extends Error {
  override readonly name = 'ConcurError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failure,
    readonly code: string = 'ECONCUR',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Bad input on the command line or in a module the user named: exit 2. */
export class UsageError extends ConcurError {
  constructor(message: string, code = 'EUSAGE', options?: { cause?: unknown }) {
    super(message, ExitCode.usage, code, options);
  }
}

/** The exit code a shell shows for a process killed by `signal`: 128 + its number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  const number = osSignals[signal];
  return 128 + (number ?? 0);
}

// Signal numbers from Node's own table, so 128 + n is right on every platform.
import { constants } from 'node:os';
const osSignals: Partial<Record<string, number>> = constants.signals;
