// `concur demo`: the list of demos, and a bad demo option.
import { describe, expect, it } from 'vitest';
import { concurText, nonEmptyLines } from '../helpers.js';

describe('concur demo (list)', () => {
  it('lists every black-box demo as name<TAB>summary', async () => {
    const { stdout, exitCode } = await concurText(['demo']);
    expect(exitCode).toBe(0);
    const names = nonEmptyLines(stdout).map((line) => line.split('\t')[0]);
    for (const name of ['supervisor', 'actors', 'shared-memory', 'threads', 'async', 'queue'])
      expect(names).toContain(name);
  });

  it('rejects a bad strategy in one line, exit 2', async () => {
    const { stderr, exitCode } = await concurText(['demo', 'supervisor', '--strategy', 'one_for_none']);
    expect(exitCode).toBe(2);
    expect(nonEmptyLines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/one_for_one, one_for_all, rest_for_one/);
  });
});
