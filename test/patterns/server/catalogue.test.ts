// concur demo server: generator tasks serving several connections (A13); a CPU-heavy request stalls every
// other connection unless a process pool computes it.
import { describe, expect, it } from 'vitest';
import { concur, isAlive } from '../../helpers.js';

const lines = (text: unknown): string[] => String(text).split('\n').filter(Boolean);

describe('concur demo server', () => {
  it('answers no ping while fib runs in the server, every ping while the pool runs it; no child left', async () => {
    const run = await concur(['demo', 'server'], { timeout: 90_000 });
    expect(run.exitCode).toBe(0);
    expect(lines(run.stdout)).toEqual([
      'without a pool: fib(36) = 14930352',
      'without a pool: pings answered while fib ran: 0 of 6',
      'with a pool: fib(36) = 14930352',
      'with a pool: pings answered while fib ran: 6 of 6',
    ]);
    const stderr = String(run.stderr);
    expect(stderr).toMatch(/the slowest ping took \d+ ms: every ping waited for fib to finish/);
    const worker = Number(/pool worker: pid (\d+)/.exec(stderr)?.[1]);
    expect(worker).toBeGreaterThan(0);
    expect(isAlive(worker)).toBe(false);
  }, 100_000);

  it('--json records the clients process and the pool worker, and every one has exited', async () => {
    const run = await concur(['demo', 'server', '--json'], { timeout: 90_000 });
    expect(run.exitCode).toBe(0);
    const events = lines(run.stdout).map(
      (line) => JSON.parse(line) as { role: string; pid: number; kind: string },
    );
    const concurPid = events[0]?.pid;
    const children = events.filter((event) => event.kind === 'spawn' && event.pid !== concurPid);
    const roles = new Set(children.map((event) => event.role));
    expect(roles).toContain('clients');
    expect(roles).toContain('pool worker 1');
    for (const event of children) expect(isAlive(event.pid)).toBe(false);
  }, 100_000);
});
