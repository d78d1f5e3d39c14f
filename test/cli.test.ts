/**
 * exitCodeFor: how anything thrown becomes an exit code and the line on stderr, in-process. commander's
 * help and version are 0 and its usage errors 2; a ConcurError keeps its code and prints its message; anything
 * else is an unexpected failure, 1, with a hint to use --debug (which prints the cause instead).
 */
import { stripVTControlCharacters } from 'node:util';
import { CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { exitCodeFor } from '../src/cli.js';
import { ConcurError, UsageError } from '../src/process/errors.js';

let stderr: string;
beforeEach(() => {
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    stderr += `${args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : String(a))).join(' ')}\n`;
  });
});
afterEach(() => vi.restoreAllMocks());

const commander = (code: string, exitCode = 1): CommanderError =>
  new CommanderError(exitCode, code, 'message');
const printed = (): string => stripVTControlCharacters(stderr);

describe('exitCodeFor', () => {
  it('help and version are 0, printing nothing more', () => {
    expect(exitCodeFor(commander('commander.helpDisplayed', 0))).toBe(0);
    expect(exitCodeFor(commander('commander.version', 0))).toBe(0);
    expect(printed()).toBe('');
  });

  it("commander's usage errors are 2 (commander has printed its own line)", () => {
    for (const code of [
      'commander.unknownOption',
      'commander.unknownCommand',
      'commander.invalidArgument',
      'commander.missingArgument',
      'commander.optionMissingArgument',
      'commander.missingMandatoryOptionValue',
      'commander.excessArguments',
      'commander.conflictingOption',
      'commander.help',
    ])
      expect(exitCodeFor(commander(code)), code).toBe(2);
    expect(printed()).toBe('');
  });

  it("any other commander error keeps commander's exit code", () => {
    expect(exitCodeFor(commander('commander.executeSubCommandAsync', 5))).toBe(5);
  });

  it('a ConcurError is its own exit code and one line, its cause only with --debug', () => {
    const cause = new Error('ENOENT: no such file');
    expect(exitCodeFor(new ConcurError('cannot read x; check the path', 1, 'ECONCUR', { cause }))).toBe(1);
    expect(printed()).toBe('concur: cannot read x; check the path\n');
    stderr = '';
    expect(exitCodeFor(new UsageError('--jobs must be at least 1'))).toBe(2);
    expect(exitCodeFor(new ConcurError('interrupted', 130))).toBe(130);
    expect(printed()).toBe('concur: --jobs must be at least 1\nconcur: interrupted\n');
    stderr = '';
    expect(exitCodeFor(new ConcurError('cannot read x', 1, 'ECONCUR', { cause }), true)).toBe(1);
    expect(printed()).toBe('concur: cannot read x\nError: ENOENT: no such file\n');
  });

  it('anything else is 1: "unexpected error", then a hint, or the error itself with --debug', () => {
    expect(exitCodeFor(new TypeError('x is not a function'))).toBe(1);
    expect(printed()).toBe(
      'concur: unexpected error: x is not a function\n' +
        'concur: run again with --debug for details, and please report it.\n',
    );
    stderr = '';
    expect(exitCodeFor('a thrown string')).toBe(1);
    expect(printed()).toBe(
      'concur: unexpected error: a thrown string\n' +
        'concur: run again with --debug for details, and please report it.\n',
    );
    stderr = '';
    expect(exitCodeFor(new RangeError('too far'), true)).toBe(1);
    expect(printed()).toBe('concur: unexpected error: too far\nRangeError: too far\n');
  });
});
