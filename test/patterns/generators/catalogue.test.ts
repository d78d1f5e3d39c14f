// concur demo generators: pull chains (A1), coroutines vs objects timed (A6), buses.py (A7), bogus.py's rule
// (A14), task.py (A10) and trampolining up to yield* and async/await (A12).
import { describe, expect, it } from 'vitest';
import { concur } from '../../helpers.js';

const lines = (text: unknown): string[] => String(text).split('\n').filter(Boolean);

describe('concur demo generators', () => {
  it('prints each step; only the two timings and their ratio vary', async () => {
    const run = await concur(['demo', 'generators'], { timeout: 60_000 });
    expect(run.exitCode).toBe(0);
    const out = lines(run.stdout);
    expect(out.slice(0, 4)).toEqual([
      '66.249.72.134 - - [24/Feb/2008:00:09:02 -0600] "GET /python/generators.html HTTP/1.1" 200 24104',
      '194.105.57.11 - - [24/Feb/2008:00:10:21 -0600] "GET /python/coroutines.pdf HTTP/1.1" 200 3342167',
      '201.9.77.22 - - [24/Feb/2008:00:12:03 -0600] "GET /python/ HTTP/1.1" 200 6142',
      'Total bytes 3404036',
    ]);
    expect(out[4]).toMatch(/^coroutine: \d+\.\d{3} s$/);
    expect(out[5]).toMatch(/^object: {4}\d+\.\d{3} s$/);
    expect(out[6]).toMatch(/^coroutine \/ object: \d+\.\d{2}$/);
    expect(out.slice(7)).toEqual([
      '22,1485,"North Bound",41.880481123924255,-87.62948191165924',
      '22,4306,"North Bound",41.93152777777778,-87.64519444444445',
      'Counting down from 5',
      '5 2 1 0',
      'Running foo()',
      'Part 1',
      'Resuming foo()',
      'Part 2',
      'trampoline: 4',
      'task call stack: 4',
      'yield*: 4',
      'async/await: 4',
    ]);
    const stderr = String(run.stderr);
    for (const step of [1, 2, 3, 4, 5, 6]) expect(stderr).toContain(`== ${step}. `);
    expect(stderr).toContain('0.60 s against 0.92 s');
    expect(stderr).toMatch(/yield\* is that stack/);
  }, 70_000);

  it('--json tags each result with its step', async () => {
    const run = await concur(['demo', 'generators', '--json'], { timeout: 60_000 });
    expect(run.exitCode).toBe(0);
    const results = lines(run.stdout)
      .map((line) => JSON.parse(line) as { kind: string; data?: { step?: number; line?: string } })
      .filter((event) => event.kind === 'result');
    expect(results).toHaveLength(19);
    expect(results.filter((event) => event.data?.step === 6).map((event) => event.data?.line)).toEqual([
      'trampoline: 4',
      'task call stack: 4',
      'yield*: 4',
      'async/await: 4',
    ]);
  }, 70_000);
});
