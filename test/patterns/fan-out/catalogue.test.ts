// concur demo fan-out: the results of the ProcessPoolExecutor primes example, in input order, and the
// narration of the speed-up (why it can read low) and of the crash recovery.
import { describe, expect, it } from 'vitest';
import { concur } from '../../helpers.js';

const lines = (text: unknown): string[] => String(text).split('\n').filter(Boolean);

const PRIMES = [
  '112272535095293 is prime: true',
  '112582705942171 is prime: true',
  '112272535095293 is prime: true',
  '115280095190773 is prime: true',
  '115797848077099 is prime: true',
  '1099726899285419 is prime: false',
];

describe('concur demo fan-out', () => {
  it('prints every answer in input order; narrates the speed-up and the recovery', async () => {
    const run = await concur(['demo', 'fan-out', '-j', '2'], { timeout: 120_000 });
    expect(run.exitCode).toBe(0);
    expect(lines(run.stdout)).toEqual([...PRIMES, ...PRIMES]);
    const stderr = String(run.stderr);
    expect(stderr).toMatch(/2 workers: \d+\.\d\d s, \d+\.\d\d× the speed of one/);
    expect(stderr).toMatch(/Why the speed-up can read below 2×/);
    expect(stderr).toMatch(/Load average now:\n {2}\d+\.\d on \d+ core\(s\)/);
    expect(stderr).toMatch(/worker 1 \(pid \d+\) went down: killed by SIGKILL/);
    expect(stderr).toMatch(/all 12 items answered once each; \d+ ran twice/);
    // B21: the late item fails as timed out; the ones before and after it are answered.
    expect(stderr).toMatch(/^ {2}primes below 1000: 168$/m);
    expect(stderr).toMatch(/^ {2}primes below 1000000000: timed out after 2s$/m);
    expect(stderr).toMatch(/^ {2}primes below 10000: 1229$/m);
  }, 130_000);
});
