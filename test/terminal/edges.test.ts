/**
 * The edges of a run: output that cannot be written and input that cannot be read are one line and exit 1,
 * never a stack trace, never blamed on a stage, and no child is left behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cleanEnv, concurCommand, fixture, isAlive, tempDirs, waitFor } from '../helpers.js';

const tempDir = tempDirs('edges');
const recordsPid = fixture('modules/misbehaving/records-pid.js');

/** Run `concur args` under sh with `redirections` (e.g. `> /dev/full`), seq 1..n as input. */
function runShell(args: string[], redirections: string, env: Record<string, string> = {}, n = 2000) {
  return execa('sh', ['-c', `seq ${n} | ${concurCommand(args)} ${redirections}`], {
    reject: false,
    timeout: 30_000,
    env: cleanEnv(env),
  });
}

// The pids the records-pid fixture wrote, once per process that loaded it.
const recordedPids = (dir: string): number[] =>
  existsSync(join(dir, 'pids')) ? readFileSync(join(dir, 'pids'), 'utf8').trim().split('\n').map(Number) : [];

describe('output that cannot be written', () => {
  const commands: [string, string[]][] = [
    ['pipeline', ['pipeline', '--stage', 'upper', '--stage', recordsPid]],
    ['pipeline --json', ['pipeline', '--stage', recordsPid, '--json']],
    ['coroutine', ['coroutine', '--stage', 'upper']],
    ['fan-out', ['fan-out', '-j', '2', '--worker', recordsPid]],
    ['demo', ['demo', 'coroutine']],
  ];
  for (const [name, args] of commands)
    it(
      `${name} > /dev/full: one line naming stdout and ENOSPC, exit 1, no child left`,
      { timeout: 40_000 },
      async () => {
        const dir = tempDir();
        const result = await runShell(args, '> /dev/full', { CONCUR_TEST_DIR: dir });
        expect(result.exitCode).toBe(1);
        expect(result.stderr.trim().split('\n').at(-1)).toBe(
          'concur: cannot write to stdout: no space left on device (ENOSPC)',
        );
        expect(result.stderr).not.toMatch(/\n\s+at |Error:|stage \d+ \(/);
        const pids = recordedPids(dir);
        if (args.includes(recordsPid)) expect(pids.length).toBeGreaterThan(0);
        await waitFor(() => pids.every((pid) => !isAlive(pid)), 5000, 'every child to be gone');
      },
    );

  it(
    'pipeline and coroutine with stdout open only for reading: EBADF, one line, exit 1',
    { timeout: 40_000 },
    async () => {
      for (const args of [
        ['pipeline', '--stage', 'upper'],
        ['coroutine', '--stage', 'upper'],
      ]) {
        const result = await runShell(args, '1< /dev/null');
        expect(result.exitCode).toBe(1);
        expect(result.stderr.trim()).toBe('concur: cannot write to stdout: bad file descriptor (EBADF)');
      }
    },
  );

  it('EPIPE stays a quiet exit 0', async () => {
    const result = await execa(
      'sh',
      ['-c', `seq 100000 | ${concurCommand(['pipeline', '--stage', 'upper'])} | head -1`],
      {
        reject: false,
        timeout: 30_000,
        env: cleanEnv(),
      },
    );
    expect(result.stdout).toBe('1');
    expect(result.stderr).toBe('');
  });
});

describe('input that cannot be read', () => {
  for (const args of [
    ['pipeline', '--stage', 'upper'],
    ['coroutine', '--stage', 'upper'],
    ['fan-out', '-j', '1'],
  ])
    it(`${args[0]} < / (a directory): one line, exit 1, not empty input`, async () => {
      const result = await execa('sh', ['-c', `${concurCommand(args)} < /`], {
        reject: false,
        timeout: 30_000,
        env: cleanEnv(),
      });
      expect(result.exitCode).toBe(1);
      expect(result.stderr.trim()).toBe(
        'concur: cannot read stdin: it is a directory (give a file or a pipe: < file.txt)',
      );
      expect(result.stdout).toBe('');
    });
});
