// concur demo threads: the narration says why CPython threads would not speed CPU work up (the GIL) and
// why Node's worker threads do.
import { describe, expect, it } from 'vitest';
import { concur } from '../../helpers.js';

describe('concur demo threads (narration)', () => {
  it('explains the GIL against worker threads', async () => {
    const run = await concur(['demo', 'threads', '--size', '100000', '--chunks', '4', '--workers', '2'], {
      timeout: 60_000,
    });
    expect(run.exitCode).toBe(0);
    const stderr = String(run.stderr);
    expect(stderr).toContain('Global Interpreter Lock');
    expect(stderr).toContain('Node has no such lock');
    expect(String(run.stdout)).toMatch(/^thread\t2\t.*\t9592$/m);
  }, 70_000);
});
