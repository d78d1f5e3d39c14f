// concur demo basics: a child's pid and ppid (B16), [42, null, 'hello'] over IPC (B17), and a shared float
// and array changed by a worker thread (B19).
import { describe, expect, it } from 'vitest';
import { concur, isAlive } from '../../helpers.js';

const lines = (text: unknown): string[] => String(text).split('\n').filter(Boolean);

describe('concur demo basics', () => {
  it("reports the child's pid and ppid, prints the message and the shared values", async () => {
    const run = await concur(['demo', 'basics'], { timeout: 60_000 });
    expect(run.exitCode).toBe(0);
    const out = lines(run.stdout);
    expect(out).toHaveLength(11);
    expect(out[0]).toBe('main line');
    expect(out[1]).toMatch(/^parent process: \d+$/);
    expect(out[2]).toMatch(/^process id: \d+$/);
    expect(out[3]).toBe('function f');
    const concurPid = Number(out[2]?.split(': ')[1]);
    // The child's parent is concur itself, and the child is a process of its own.
    expect(out[4]).toBe(`parent process: ${concurPid}`);
    const childPid = Number(/^process id: (\d+)$/.exec(out[5] ?? '')?.[1]);
    expect(childPid).toBeGreaterThan(0);
    expect(childPid).not.toBe(concurPid);
    expect(isAlive(childPid)).toBe(false);
    expect(out.slice(6)).toEqual([
      "[42, null, 'hello']",
      'json: {}',
      "advanced: Map(1) { 'answer' => 42 }",
      '3.1415927',
      '[0, -1, -2, -3, -4, -5, -6, -7, -8, -9]',
    ]);
    expect(String(run.stderr)).toContain("the child's parent is this concur process");
  }, 70_000);
});
