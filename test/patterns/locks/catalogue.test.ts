// concur demo locks: a mutex between threads (B18) and deadlock between tasks and between processes.
import { describe, expect, it } from 'vitest';
import { concur, isAlive } from '../../helpers.js';

const lines = (text: unknown): string[] => String(text).split('\n').filter(Boolean);

describe('concur demo locks', () => {
  it('keeps every line whole with the lock, shows both deadlocks and their cures, exit 0', async () => {
    const run = await concur(['demo', 'locks'], { timeout: 60_000 });
    expect(run.exitCode).toBe(0);
    const out = lines(run.stdout);
    // Without the lock the count depends on timing: only its shape is pinned.
    expect(out[0]).toMatch(/^without a lock: \d+ of 8000 lines intact$/);
    expect(out.slice(1)).toEqual([
      'with a lock: 8000 of 8000 lines intact',
      'tasks: task 1 waits for task 2',
      'tasks: task 2 waits for task 1',
      'tasks: deadlock: every task is waiting for another task to exit (task 1, task 2)',
      'ordered tasks: task 1 waits for task 2',
      'ordered tasks: task 2 done',
      'ordered tasks: task 1 done',
      'both wait: a timed out waiting',
      'both wait: b timed out waiting',
      'a speaks first: a heard "hello back from b"',
      'a speaks first: b heard "hello from a"',
    ]);
    const stderr = String(run.stderr);
    expect(stderr).toContain('Atomics.wait');
    expect(stderr).toMatch(/Each wait has a 300 ms timeout/);
    const pids = [...stderr.matchAll(/peer [ab] \(pid (\d+)\)/g)].map((match) => Number(match[1]));
    expect(pids).toHaveLength(4);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  }, 70_000);

  it('is listed by concur demo', async () => {
    const run = await concur(['demo']);
    expect(lines(run.stdout).map((line) => line.split('\t')[0])).toContain('locks');
  }, 30_000);
});
