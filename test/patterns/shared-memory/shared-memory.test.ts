// The shared-memory demo: threads racing on a SharedArrayBuffer, Atomics, messages, and a buffer sent to a
// process.
import { describe, expect, it } from 'vitest';
import { concurText, nonEmptyLines, parseEvents } from '../../helpers.js';

describe('concur demo shared-memory', () => {
  it('loses updates without Atomics (or says it did not), never with them; processes cannot share', async () => {
    const { stdout, stderr, exitCode } = await concurText(['demo', 'shared-memory', '--json']);
    expect(exitCode).toBe(0);
    const runs = parseEvents(stdout)
      .filter((e) => e.kind === 'result')
      .map((e) => e.data as { mode: string; lost: number; total: number; expected: number });
    expect(runs.map((r) => r.mode)).toEqual(['racy', 'atomic', 'message-each', 'message-total']);
    const racy = runs[0]!;
    // Racing threads lose some updates, or by chance none; either way the demo's sums add up and it says which.
    expect(racy.lost).toBeGreaterThanOrEqual(0);
    expect(racy.total + racy.lost).toBe(racy.expected);
    expect(/This run lost no updates/.test(stderr)).toBe(racy.lost === 0);
    for (const mode of ['atomic', 'message-each', 'message-total']) {
      const run = runs.find((r) => r.mode === mode);
      expect(run?.lost).toBe(0);
      expect(run?.total).toBe(run?.expected);
    }
    const probes = parseEvents(stdout).filter((e) => e.kind === 'note');
    expect(probes.map((e) => e.data?.parentSees)).toEqual([0, 0]);
    expect(probes[1]?.data?.refused).toMatch(/could not be cloned/);
  });

  it('prints one result line per way of counting', async () => {
    const { stdout, exitCode } = await concurText([
      'demo',
      'shared-memory',
      '--threads',
      '2',
      '--increments',
      '200000',
    ]);
    expect(exitCode).toBe(0);
    const out = nonEmptyLines(stdout);
    const [, got, lost] =
      /^racy: expected 400000, got (\d+), lost (\d+), [\d.]+ ms$/.exec(out[0] ?? '') ?? [];
    expect(Number(got) + Number(lost)).toBe(400000);
    expect(out[1]).toMatch(/^atomic: expected 400000, got 400000, lost 0, /);
    expect(out[2]).toMatch(/^message per increment: expected 40000, got 40000, lost 0, /);
    expect(out[3]).toMatch(/^one message per thread: expected 400000, got 400000, lost 0, /);
    expect(out.slice(4)).toEqual([
      'fork (json): copied, parent still reads 0',
      'fork (advanced): refused, parent still reads 0',
    ]);
  });
});
