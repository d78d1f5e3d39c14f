// concur demo supervisor: trap_exit turns a linked partner's death into {'EXIT', From, Reason} (C24), and
// --restart shows what each restart type does with a normal exit and with a crash (C26).
import { describe, expect, it } from 'vitest';
import { concur } from '../../helpers.js';

const lines = (text: unknown): string[] => String(text).split('\n').filter(Boolean);
// The crashes of step 2 are not what these tests are about: a high intensity and no crashes keep it short.
const quiet = ['--crashes', '0', '--max-restarts', '10'];

describe('concur demo supervisor: trap_exit and restart types', () => {
  it('a linked process dies with its partner, unless it traps exits and gets an EXIT message', async () => {
    const run = await concur(['demo', 'supervisor', ...quiet], { timeout: 60_000 });
    expect(run.exitCode).toBe(0);
    const stderr = String(run.stderr);
    expect(stderr).toMatch(/without trap_exit: pid \d+ went down with its partner \(killed by SIGKILL\)/);
    expect(stderr).toMatch(
      /with trap_exit: pid \d+ received \{'EXIT', <\d+>, killed\} as a message, and is still running/,
    );
    expect(stderr).toMatch(/why one_for_one: the workers are independent/);
    expect(stderr).toMatch(/--seed 1 fixes which worker crashes and how/);
    // Without --restart, step 1b does not run and stdout has no restart-type lines.
    expect(stderr).not.toContain('1b. Restart types');
  }, 70_000);

  it.each([
    [
      'permanent',
      [
        'worker-1 exited normally',
        'worker-1 restarted',
        'worker-2 exit code 3',
        'worker-2 restarted',
        '2 restart(s)',
      ],
    ],
    [
      'transient',
      [
        'worker-1 exited normally',
        'worker-1 not restarted',
        'worker-2 exit code 3',
        'worker-2 restarted',
        '1 restart(s)',
      ],
    ],
    [
      'temporary',
      [
        'worker-1 exited normally',
        'worker-1 not restarted',
        'worker-2 exit code 3',
        'worker-2 not restarted',
        '0 restart(s)',
      ],
    ],
  ])(
    '--restart %s: a normal exit and a crash',
    async (type, expected) => {
      const run = await concur(['demo', 'supervisor', '--restart', type, ...quiet], { timeout: 60_000 });
      expect(run.exitCode).toBe(0);
      expect(lines(run.stdout).filter((line) => line.startsWith(`${type}: `))).toEqual(
        expected.map((line) => `${type}: ${line}`),
      );
      expect(String(run.stderr)).toContain(`1b. Restart types: ${type}`);
    },
    70_000,
  );

  it('rejects an unknown restart type, exit 2', async () => {
    const run = await concur(['demo', 'supervisor', '--restart', 'sometimes']);
    expect(run.exitCode).toBe(2);
    expect(String(run.stderr)).toMatch(/permanent, transient, temporary/);
  }, 30_000);
});
