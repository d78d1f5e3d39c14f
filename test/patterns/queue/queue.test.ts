// The queue demo: mp_workers in Node, a worker/queue farm with a STOP sentinel.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  concur,
  concurBin,
  concurText,
  descendants,
  expectNoOrphans,
  isAlive,
  nonEmptyLines,
  waitFor,
  waitForLine,
  type DemoEvent,
} from '../../helpers.js';

describe('concur demo queue', () => {
  const resultLine = /^worker ([1-4]) says that (mul|plus)\((\d+), (\d+)\) = (\d+)$/;

  it('answers every task correctly, like mp_workers', async () => {
    const { stdout, stderr, exitCode } = await concurText(['demo', 'queue', '--delay', '20']);
    expect(exitCode).toBe(0);
    const out = nonEmptyLines(stdout);
    expect(out).toHaveLength(30);
    const tasks = out.map((line) => {
      const m = resultLine.exec(line);
      expect(m, line).not.toBeNull();
      const [, , func, a, b, result] = m as RegExpExecArray;
      expect(Number(result)).toBe(func === 'mul' ? Number(a) * Number(b) : Number(a) + Number(b));
      return `${func}(${a}, ${b})`;
    });
    expect(new Set(tasks).size).toBe(30);
    expect(tasks.filter((t) => t.startsWith('mul')).every((t) => t.endsWith(', 7)'))).toBe(true);
    // The plus batch goes on the queue only after the 20 mul results are in.
    expect(tasks.slice(0, 20).every((t) => t.startsWith('mul'))).toBe(true);
    expect(stderr.match(/took STOP: exited normally/g)).toHaveLength(4);
  });

  it('ends quietly with exit 0 when stdout closes (| head -1)', async () => {
    const script = `node ${concurBin} demo queue --json --delay 50 | head -1; echo "status \${PIPESTATUS[0]}" >&2`;
    const { stdout, stderr } = await execa('bash', ['-c', script], { reject: false });
    expect(nonEmptyLines(stdout)).toHaveLength(1);
    expect(stderr).toMatch(/status 0/);
    expect(stderr).not.toMatch(/Error|at .*\.js/);
    const first = JSON.parse(stdout) as DemoEvent;
    expect(first).toMatchObject({ role: 'parent', kind: 'spawn' });
    await waitFor(() => !isAlive(first.pid), 5000, 'concur to exit');
  });

  it('a reader that goes away mid-run leaves no process behind', async () => {
    const run = concur(['demo', 'queue', '--json', '--delay', '3000']);
    const seen: DemoEvent[] = [];
    run.stdout?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        seen.push(JSON.parse(line) as DemoEvent);
    });
    await waitFor(
      () => seen.some((e) => e.kind === 'spawn' && e.role === 'worker 4'),
      20_000,
      'four workers',
    );
    const children = descendants(run.pid!);
    expect(children.length).toBeGreaterThanOrEqual(5); // the guardian and four workers
    run.stdout?.destroy(); // the reader goes away: concur's next write meets EPIPE
    const { exitCode, stderr } = await run;
    expect(exitCode).toBe(0);
    expect(stderr).not.toMatch(/Error|at .*\.js/);
    await waitFor(() => children.every((pid) => !isAlive(pid)), 5000, 'every child to exit');
    await expectNoOrphans(seen);
  });

  it('SIGTERM stops concur (143) and every worker', async () => {
    const run = concur(['demo', 'queue', '--json', '--delay', '3000']);
    const seen: DemoEvent[] = [];
    run.stdout?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        seen.push(JSON.parse(line) as DemoEvent);
    });
    await waitForLine(run.stdout!, /"kind":"send"/);
    run.kill('SIGTERM');
    const { exitCode } = await run;
    expect(exitCode).toBe(143);
    await expectNoOrphans(seen);
  });
});
