// The threads demo: the same CPU work on worker threads and on forked processes.
import { describe, expect, it } from 'vitest';
import { concurText, expectNoOrphans, nonEmptyLines, parseEvents } from '../../helpers.js';

describe('concur demo threads', () => {
  it('measures threads and processes side by side, both with the right answer, no orphans', async () => {
    const { stdout, exitCode } = await concurText(['demo', 'threads', '--size', '300000', '--chunks', '8']);
    expect(exitCode).toBe(0);
    const [header, ...rows] = nonEmptyLines(stdout);
    expect(header).toBe('kind\tworkers\tstartup_ms\tmemory_mb\twork_ms\tnumbers_per_s\tprimes');
    expect(rows.map((r) => r.split('\t')[0])).toEqual(['thread', 'process']);
    for (const row of rows) expect(row.split('\t').at(-1)).toBe('25997'); // primes below 300,000
    const json = await concurText(['demo', 'threads', '--size', '100000', '--json']);
    expect(json.exitCode).toBe(0);
    await expectNoOrphans(parseEvents(json.stdout));
  });
});
