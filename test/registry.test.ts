// The registry: every demo names the source examples it covers, for the README's demo table.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { patterns } from '../src/registry.js';

describe('registry', () => {
  it('lists the sources of every pattern', () => {
    for (const pattern of patterns) {
      expect(pattern.sources.length, pattern.name).toBeGreaterThan(0);
      for (const source of pattern.sources) expect(source.trim(), pattern.name).not.toBe('');
    }
  });

  it('names each catalogue source where a learner would look for it', () => {
    const sourcesOf = (name: string): string =>
      patterns.find((pattern) => pattern.name === name)?.sources.join(' ') ?? '';
    expect(sourcesOf('coroutine')).toContain('grep.py');
    expect(sourcesOf('scheduler')).toContain('pyos');
    expect(sourcesOf('queue')).toContain('mp_workers');
    expect(sourcesOf('supervisor')).toContain('one_for_all');
    expect(sourcesOf('generators')).toContain('buses.py');
    expect(sourcesOf('server')).toContain('aserver.py');
    expect(sourcesOf('locks')).toContain('Lock');
  });

  it("gives the README's demo table one row per pattern, covering exactly its sources", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const rows = readme
      .split('\n')
      .filter((line) => /^\| `[a-z-]+` +\|/.test(line))
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    expect(rows.map(([name]) => name)).toEqual(patterns.map((pattern) => `\`${pattern.name}\``));
    for (const [i, pattern] of patterns.entries()) {
      const [, covers, read] = rows[i] ?? [];
      expect(covers, pattern.name).toBe(pattern.sources.join('; '));
      expect(read, pattern.name).toBe(`[${pattern.name}](src/patterns/${pattern.name}/README.md)`);
    }
    // The front door stays short enough to read.
    expect(Buffer.byteLength(readme)).toBeLessThan(15 * 1024);
  });
});
