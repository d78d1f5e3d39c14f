// concur demo async: the narration says what --seed fixes (the timer durations) and what it cannot (lateness).
import { describe, expect, it } from 'vitest';
import { concur } from '../../helpers.js';

describe('concur demo async (narration)', () => {
  it('says what --seed fixes and what it cannot', async () => {
    const run = await concur(['demo', 'async', '--waits', '50', '--block', '50', '--seed', '4'], {
      timeout: 60_000,
    });
    expect(run.exitCode).toBe(0);
    const stderr = String(run.stderr);
    expect(stderr).toContain("--seed 4 fixes each timer's duration");
    expect(stderr).toContain('it cannot fix how late the timers fire');
  }, 70_000);
});
