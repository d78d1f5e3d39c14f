import { describe, expect, it } from 'vitest';
import { concur, descendants, fixture, isAlive, waitFor } from '../helpers.js';

describe('no child outlives concur', () => {
  it('SIGKILL of concur takes down workers stuck in a long synchronous computation (the guardian)', async () => {
    // Each worker spins for 60 s without yielding, so it cannot see its IPC channel close by itself.
    const run = concur(['fan-out', '-j', '2', '--worker', fixture('busy.js')], { input: '60000\n60000\n' });
    let stderr = '';
    run.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => (stderr.match(/^busy \d+$/gm) ?? []).length === 2, 10_000, 'both workers to be busy');
    const pids = descendants(run.pid ?? 0);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    run.kill('SIGKILL');
    await run;
    for (const pid of pids) await waitFor(() => !isAlive(pid), 2000, `process ${pid} to exit`);
  });
});
