import { describe, expect, it } from 'vitest';
import { chunks, cutBatch } from '../../../src/patterns/fan-out/cutter.js';

const length = (line: string): number => line.length;

async function collect(source: AsyncIterable<string[]>): Promise<string[][]> {
  const out: string[][] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

describe('cutBatch', () => {
  const items = ['a', 'bb', 'ccc', 'dddd'];

  it('takes every item when size and characters allow', () => {
    expect(cutBatch(items, 0, 10, 100, length)).toBe(4);
  });

  it('stops at `size` items from `start`', () => {
    expect(cutBatch(items, 1, 2, 100, length)).toBe(3);
  });

  it('stops before the item that would pass maxChars, and counts a batch that hits it exactly', () => {
    expect(cutBatch(['aa', 'bb', 'cc'], 0, 10, 4, length)).toBe(2);
    expect(cutBatch(['aa', 'bb', 'cc'], 0, 10, 3, length)).toBe(1);
    expect(cutBatch(items, 1, 10, 5, length)).toBe(3);
  });

  it('always takes at least one item, however long', () => {
    expect(cutBatch(['xxxxxxxx', 'y'], 0, 10, 3, length)).toBe(1);
  });

  it('returns `start` when nothing is left', () => {
    expect(cutBatch(items, 4, 10, 100, length)).toBe(4);
  });

  it('measures items with the given function', () => {
    const batch = [{ input: 'abc' }, { input: 'de' }, { input: 'f' }];
    expect(cutBatch(batch, 0, 10, 5, (item) => item.input.length)).toBe(2);
  });
});

describe('chunks', () => {
  it('cuts a sync iterable every `size` items, the rest last', async () => {
    expect(await collect(chunks(['a', 'b', 'c', 'd', 'e'], 2))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('leaves no empty chunk at the end or for empty input', async () => {
    expect(await collect(chunks(['a', 'b', 'c', 'd'], 2))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(await collect(chunks([], 2))).toEqual([]);
  });

  it('cuts 4096 items per chunk by default', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => String(i));
    expect((await collect(chunks(lines))).map((chunk) => chunk.length)).toEqual([4096, 904]);
  });

  it('cuts an async iterable every `size` items while items keep coming', async () => {
    async function* source(): AsyncGenerator<string> {
      yield* ['a', 'b', 'c', 'd', 'e'];
    }
    expect(await collect(chunks(source(), 2))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('sends a partial chunk on when an async source pauses (end of a turn of the event loop)', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* source(): AsyncGenerator<string> {
      yield 'a';
      yield 'b';
      await gate; // a pause: nothing more until the first chunk has been delivered
      yield 'c';
    }
    const out: string[][] = [];
    for await (const chunk of chunks(source(), 10)) {
      out.push(chunk);
      release();
    }
    expect(out).toEqual([['a', 'b'], ['c']]);
  });
});
