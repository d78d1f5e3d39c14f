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

/**
 * What a system error says, for one line: "no space left on device (ENOSPC)" from Node's
 * "ENOSPC: no space left on device, write".
 */
export function systemReason(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  const bare = /^[A-Z][A-Z0-9_]*: (.*?)(?:, \w+(?: .*)?)?$/.exec(text)?.[1] ?? text;
  return typeof code === 'string' && !bare.includes(code) ? `${bare} (${code})` : bare;
}

/** Writing the output failed (a full disk, an I/O error, a descriptor not open for writing): exit 1. */
export class OutputError extends ConcurError {
  constructor(target: string, cause: unknown) {
    super(`cannot write to ${target}: ${systemReason(cause)}`, ExitCode.failure, 'EOUTPUT', { cause });
  }
}

/** Reading the input failed (a directory, an I/O error): exit 1, as `cat` does. */
export class InputError extends ConcurError {
  constructor(source: string, cause: unknown) {
    super(`cannot read ${source}: ${systemReason(cause)}`, ExitCode.failure, 'EINPUT', { cause });
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
