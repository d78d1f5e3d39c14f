// `concur demo`: the list of demos, and a bad demo option.
import { describe, expect, it } from 'vitest';
import { patterns } from '../../src/registry.js';
import { concurText, nonEmptyLines } from '../helpers.js';

describe('concur demo (list)', () => {
  it('lists every demo as name<TAB>summary, in the registry order', async () => {
    const { stdout, exitCode } = await concurText(['demo']);
    expect(exitCode).toBe(0);
    expect(nonEmptyLines(stdout)).toEqual(patterns.map((p) => `${p.name}\t${p.summary}`));
    expect(patterns.map((p) => p.name)).toEqual([
      'spinner',
      'coroutine',
      'generators',
      'scheduler',
      'server',
      'basics',
      'pipeline',
      'fan-out',
      'supervisor',
      'actors',
      'queue',
      'shared-memory',
      'locks',
      'threads',
      'async',
      'distributed',
    ]);
  });

  it('rejects a bad strategy in one line, exit 2', async () => {
    const { stderr, exitCode } = await concurText(['demo', 'supervisor', '--strategy', 'one_for_none']);
    expect(exitCode).toBe(2);
    expect(nonEmptyLines(stderr)).toEqual([
      "concur: option '--strategy <name>' argument 'one_for_none' is invalid. Allowed choices are one_for_one, one_for_all, rest_for_one.",
    ]);
  });
});
