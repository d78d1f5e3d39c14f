// The classic spinner, exactly as the chapter drew it: "Please wait ... " and a frame, then as many
// backspaces as characters written, frame after frame (| / - \), in a real pseudo-terminal with CI unset.
import { describe, expect, it } from 'vitest';
import { concurCommand, inTerminal } from '../../helpers.js';

describe('concur spinner --classic in a terminal', () => {
  it('writes prompt + frame + 17 backspaces, cycling | / - \\, then "Computation done"', async () => {
    // The terminal helper gives the command 60 s; the test allows a little more.
    const run = await inTerminal(concurCommand(['spinner', '--classic', '--size', '12000000']), {
      CI: undefined,
    });
    const screen = String(run.stdout);
    const frames = [...screen.matchAll(/Please wait \.\.\. ([|/\-\\])(\x08*)/g)];
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const [, , backspaces] of frames) expect(backspaces).toHaveLength(17);
    // Each frame is the one after the last, in the chapter's order.
    const cycle = ['|', '/', '-', '\\'];
    expect(frames[0]?.[1]).toBe('|');
    frames.slice(1).forEach((frame, i) => {
      const previous = cycle.indexOf(frames[i]?.[1] ?? '');
      expect(frame[1]).toBe(cycle[(previous + 1) % cycle.length]);
    });
    expect(screen).toContain('Computation done');
  }, 70_000);
});
