// The async demo: waits overlapped on one event loop, and a CPU-bound loop stalling its timers.
import { describe, expect, it } from 'vitest';
import { concurText, nonEmptyLines, parseEvents } from '../../helpers.js';

describe('concur demo async', () => {
  it('overlaps waits, and shows a blocked loop firing its timers late', async () => {
    const { stdout, exitCode } = await concurText([
      'demo',
      'async',
      '--waits',
      '300',
      '--block',
      '300',
      '--json',
    ]);
    expect(exitCode).toBe(0);
    const results = parseEvents(stdout).filter((e) => e.kind === 'result');
    const overlap = results.find((e) => e.data?.step === 'overlap')?.data as {
      sumMs: number;
      wallMs: number;
    };
    expect(overlap.wallMs).toBeLessThan(overlap.sumMs / 10);
    const blocked = results.find((e) => e.data?.step === 'blocked loop')?.data as {
      lateMs: number[];
      firedDuringBlock: number;
    };
    expect(blocked.firedDuringBlock).toBe(0);
    expect(Math.max(...blocked.lateMs)).toBeGreaterThan(150);
    const spinner = results.find((e) => e.data?.step === 'spinner')?.data as { child: { frames: number } };
    expect(spinner.child.frames).toBeGreaterThanOrEqual(3);
  });

  it('prints its result lines plainly', async () => {
    const { stdout, exitCode } = await concurText(['demo', 'async', '--waits', '100', '--block', '200']);
    expect(exitCode).toBe(0);
    const out = nonEmptyLines(stdout);
    expect(out[0]).toMatch(/^overlapped: 120 waits, \d+ ms of waiting in \d+ ms$/);
    expect(out[1]).toMatch(/^free loop: 50 timers due every 4 ms: /);
    expect(out[2]).toMatch(
      /^blocked loop: 50 timers due every 4 ms: late by median \d+ ms, max \d+ ms, fired during the block 0$/,
    );
    expect(out[3]).toMatch(/^parent timer \(every 50 ms\): max \d+ ms late; child spinner/);
  });
});
