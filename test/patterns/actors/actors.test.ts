// The actors demo: a manager process owns the data; clients reach it only by messages.
import { describe, expect, it } from 'vitest';
import { concurText, expectNoOrphans, nonEmptyLines, parseEvents } from '../../helpers.js';

describe('concur demo actors', () => {
  it('serialises concurrent increments through the manager: none lost', async () => {
    const { stdout, stderr, exitCode } = await concurText([
      'demo',
      'actors',
      '--clients',
      '4',
      '--increments',
      '25',
    ]);
    expect(exitCode).toBe(0);
    expect(nonEmptyLines(stdout)).toEqual([
      'greeting:client-1 = "hello from client-1"',
      'greeting:client-2 = "hello from client-2"',
      'greeting:client-3 = "hello from client-3"',
      'greeting:client-4 = "hello from client-4"',
      'hits = 100',
    ]);
    expect(stderr).toMatch(/client-\d → manager\s+incr hits \+1/);
    expect(stderr).toMatch(/manager\s+→ client-\d \d+/);
  });

  it('--json traces every message who→whom, and leaves no process behind', async () => {
    const { stdout, exitCode } = await concurText(['demo', 'actors', '--json']);
    expect(exitCode).toBe(0);
    const events = parseEvents(stdout);
    const sends = events.filter((e) => e.kind === 'send' && e.data?.to !== undefined);
    // 3 clients × (1 set + 3 incr) requests, each with a reply, plus concur's own reads.
    expect(sends.filter((e) => e.role.startsWith('client-')).length).toBe(12);
    expect(sends.filter((e) => e.role === 'manager' && String(e.data?.to).startsWith('client-')).length).toBe(
      12,
    );
    await expectNoOrphans(events);
  });
});
