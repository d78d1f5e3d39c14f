/**
 * Exit codes concur promises the shell: the constants, 128+n for a signal, and the exit code a supervision
 * reason maps to.
 */
import { describe, expect, it } from 'vitest';
import { ConcurError, ExitCode, UsageError, signalExitCode } from '../../src/process/errors.js';
import { describeReason, exitReason, reasonExitCode } from '../../src/process/supervision.js';

describe('exit codes', () => {
  it('are 0, 1, 2, 130 and 143', () => {
    expect(ExitCode).toEqual({ ok: 0, failure: 1, usage: 2, interrupted: 130, terminated: 143 });
  });

  it('signalExitCode is 128 + the signal number', () => {
    expect(signalExitCode('SIGHUP')).toBe(129);
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGQUIT')).toBe(131);
    expect(signalExitCode('SIGABRT')).toBe(134);
    expect(signalExitCode('SIGKILL')).toBe(137);
    expect(signalExitCode('SIGTERM')).toBe(143);
    expect(signalExitCode('SIGINT')).toBe(ExitCode.interrupted);
    expect(signalExitCode('SIGTERM')).toBe(ExitCode.terminated);
  });

  it.runIf(process.platform === 'linux')(
    'uses the platform’s numbers (Linux: SIGSEGV 11, SIGUSR1 10)',
    () => {
      expect(signalExitCode('SIGSEGV')).toBe(139);
      expect(signalExitCode('SIGUSR1')).toBe(138);
      expect(signalExitCode('SIGPIPE')).toBe(141);
    },
  );

  it('ConcurError carries its exit code (1 by default) and code; UsageError is exit 2', () => {
    const failure = new ConcurError('it broke; try again');
    expect([failure.exitCode, failure.code, failure.name, failure.message]).toEqual([
      1,
      'ECONCUR',
      'ConcurError',
      'it broke; try again',
    ]);
    const custom = new ConcurError('x', 7, 'ECUSTOM', { cause: 'why' });
    expect([custom.exitCode, custom.code, custom.cause]).toEqual([7, 'ECUSTOM', 'why']);
    const usage = new UsageError('bad option');
    expect(usage).toBeInstanceOf(ConcurError);
    expect([usage.exitCode, usage.code]).toEqual([2, 'EUSAGE']);
  });
});

describe('exit reasons', () => {
  it('exitReason reads an exit event: a signal wins, code 0 is normal, no code counts as 1', () => {
    expect(exitReason(0, null)).toEqual({ kind: 'normal' });
    expect(exitReason(3, null)).toEqual({ kind: 'exit', code: 3 });
    expect(exitReason(null, 'SIGTERM')).toEqual({ kind: 'signal', signal: 'SIGTERM' });
    expect(exitReason(1, 'SIGKILL')).toEqual({ kind: 'signal', signal: 'SIGKILL' });
    expect(exitReason(null, null)).toEqual({ kind: 'exit', code: 1 });
  });

  it('reasonExitCode is what a shell would see', () => {
    expect(reasonExitCode({ kind: 'normal' })).toBe(0);
    expect(reasonExitCode({ kind: 'exit', code: 3 })).toBe(3);
    expect(reasonExitCode({ kind: 'signal', signal: 'SIGKILL' })).toBe(137);
    expect(reasonExitCode({ kind: 'signal', signal: 'SIGINT' })).toBe(130);
    expect(reasonExitCode({ kind: 'error', message: 'spawn ENOENT' })).toBe(1);
  });

  it('describeReason says it in a few words', () => {
    expect(describeReason({ kind: 'normal' })).toBe('exited normally');
    expect(describeReason({ kind: 'exit', code: 3 })).toBe('exit code 3');
    expect(describeReason({ kind: 'signal', signal: 'SIGKILL' })).toBe('killed by SIGKILL');
    expect(describeReason({ kind: 'error', message: 'spawn ENOENT' })).toBe('spawn ENOENT');
  });
});
