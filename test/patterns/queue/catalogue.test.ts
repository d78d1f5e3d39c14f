// concur demo queue: the narration says why one STOP per worker, and what --seed fixes and what it cannot.
import { describe, expect, it } from 'vitest';
import { concur } from '../../helpers.js';

describe('concur demo queue (narration)', () => {
  it('explains one STOP per worker and the limits of --seed', async () => {
    const run = await concur(['demo', 'queue', '--delay', '5', '--seed', '3'], { timeout: 60_000 });
    expect(run.exitCode).toBe(0);
    const stderr = String(run.stderr);
    expect(stderr).toContain("--seed 3 fixes each task's pretend work time");
    expect(stderr).toContain('It cannot fix which worker takes which task');
    expect(stderr).toMatch(/10 plus tasks, then 4 STOPs, one per worker/);
    expect(stderr).toContain('each STOP stops exactly one worker');
    expect(String(run.stdout).split('\n').filter(Boolean)).toHaveLength(30);
  }, 70_000);
});
