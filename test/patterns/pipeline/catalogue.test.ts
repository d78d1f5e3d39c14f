// concur demo pipeline: the ten most frequent words of its built-in text (stdout, exactly), three stages
// streaming at once (stderr), and backpressure behind a slow last stage.
import { describe, expect, it } from 'vitest';
import { concur } from '../../helpers.js';

const lines = (text: unknown): string[] => String(text).split('\n').filter(Boolean);

describe('concur demo pipeline', () => {
  it('prints the ten most frequent words; the three stages read at the same time; a slow last stage holds back the others', async () => {
    const run = await concur(['demo', 'pipeline'], { timeout: 120_000 });
    expect(run.exitCode).toBe(0);
    expect(lines(run.stdout)).toEqual([
      '132000\tthe',
      '72000\ta',
      '72000\tstage',
      '48000\tand',
      '48000\tit',
      '36000\tis',
      '24000\tmessages',
      '24000\teach',
      '24000\tlines',
      '24000\tbefore',
    ]);
    const stderr = String(run.stderr);
    expect(stderr).toMatch(/input \(84,000 lines\) → words → lower → tally → output/);
    expect(stderr).toMatch(/stage 3 \(tally\) +pid \d+: 1,248,000 lines in, 65 out/);
    // Whether the three overlapped visibly depends on the machine's load: either way it is said.
    expect(stderr).toMatch(
      /all three stages were reading at the same time|too small for the stages to overlap/,
    );
    // Step 5, backpressure: behind a slow last stage the stages before it wait on full pipes, and nothing is lost.
    expect(stderr).toContain('5. Backpressure: the same pipeline with a slow last stage');
    expect(stderr).toMatch(/words took [\d.]+ s to read its input \([\d.]+ s with tally last\)/);
    const stalled = /waiting on a full pipe: words (\d+), lower (\d+)\./.exec(stderr);
    expect(stalled, 'the stalled-reports line').not.toBeNull();
    expect(Number(stalled?.[1])).toBeGreaterThan(0);
    expect(Number(stalled?.[2])).toBeGreaterThan(0);
    expect(stderr).toContain('nothing was lost: 156,000 lines written by words, 156000 counted.');
  }, 130_000);
});
