// The registry: every demo names the source examples it covers, for the README's demo table.
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
});
