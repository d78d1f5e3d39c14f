/**
 * Restart intensity, on a clock the test moves: at most R restarts in any window of T ms, the window
 * sliding as time passes. A restart exactly T ms old still counts.
 */
import { describe, expect, it } from 'vitest';
import { RestartIntensity } from '../../src/process/supervision.js';

// An intensity whose clock reads the time given to `at`, which then asks for one restart.
function intensity(
  maxRestarts: number,
  periodMs: number,
): { limit: RestartIntensity; at: (t: number) => boolean } {
  let now = 0;
  const limit = new RestartIntensity(maxRestarts, periodMs, () => now);
  return {
    limit,
    at: (t) => {
      now = t;
      return limit.allow();
    },
  };
}

describe('RestartIntensity', () => {
  it("defaults to Erlang's 1 restart in 5 s", () => {
    const limit = new RestartIntensity();
    expect([limit.maxRestarts, limit.periodMs]).toEqual([1, 5000]);
  });

  it('1 in 5000 ms: the second restart within the period is refused, until the first is older than it', () => {
    const { limit, at } = intensity(1, 5000);
    expect(at(0)).toBe(true);
    expect(limit.recent).toBe(1);
    expect(at(100)).toBe(false);
    expect(at(5000)).toBe(false); // exactly 5000 ms old: still in the window
    expect(limit.recent).toBe(1); // a refusal is not a restart
    expect(at(5001)).toBe(true);
    expect(limit.recent).toBe(1);
  });

  it('3 in 1000 ms: the window slides one restart at a time', () => {
    const { limit, at } = intensity(3, 1000);
    expect([at(0), at(10), at(20), at(30)]).toEqual([true, true, true, false]);
    expect(limit.recent).toBe(3);
    expect(at(1000)).toBe(false);
    expect(at(1001)).toBe(true); // 0 has left the window: [10, 20, 1001]
    expect(at(1005)).toBe(false);
    expect(at(1011)).toBe(true); // 10 has left: [20, 1001, 1011]
    expect(limit.recent).toBe(3);
    expect(at(5000)).toBe(true); // all have left: [5000]
    expect(limit.recent).toBe(1);
  });

  it('0 restarts allowed: every restart is refused', () => {
    const { limit, at } = intensity(0, 1000);
    expect([at(0), at(5000), at(1e9)]).toEqual([false, false, false]);
    expect(limit.recent).toBe(0);
  });
});
