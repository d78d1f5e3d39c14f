import { describe, expect, it } from 'vitest';
import { chunks, cutBatch, cutLines, wholeLines } from '../../../src/patterns/fan-out/cutter.js';

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

// The reference for cutLines: the same rule, a byte at a time.
function cutLinesSlowly(
  bytes: Buffer,
  start: number,
  size: number,
  maxBytes: number,
): { end: number; count: number } {
  let end = start;
  let count = 0;
  while (end < bytes.length && count < size) {
    const newline = bytes.indexOf(10, end);
    const next = newline < 0 ? bytes.length : newline + 1;
    if (count > 0 && next - start > maxBytes) break;
    end = next;
    count++;
  }
  return { end, count };
}

describe('cutLines', () => {
  it('ends a batch after `size` lines, or where a line ends within maxBytes', () => {
    const bytes = Buffer.from('a\nbb\nccc\ndddd\n');
    expect(cutLines(bytes, 0, 2, 100)).toEqual({ end: 5, count: 2 });
    expect(cutLines(bytes, 2, 10, 100)).toEqual({ end: 14, count: 3 });
    expect(cutLines(bytes, 0, 10, 9)).toEqual({ end: 9, count: 3 });
    expect(cutLines(bytes, 0, 10, 8)).toEqual({ end: 5, count: 2 });
  });

  it('takes one line however long, and counts a last line without a newline', () => {
    const bytes = Buffer.from(`${'x'.repeat(100)}\ny\nlast`);
    expect(cutLines(bytes, 0, 10, 3)).toEqual({ end: 101, count: 1 });
    expect(cutLines(bytes, 101, 10, 100)).toEqual({ end: bytes.length, count: 2 });
    expect(cutLines(bytes, 103, 10, 2)).toEqual({ end: bytes.length, count: 1 });
    expect(cutLines(Buffer.from('\n\n'), 0, 10, 10)).toEqual({ end: 2, count: 2 });
  });

  it('agrees with a byte-at-a-time count at every offset, size and limit (word-aligned or not)', () => {
    const text = Array.from(
      { length: 300 },
      (_, i) => 'é\r\n'.slice(0, i % 3) + 'x'.repeat((i * 7) % 11),
    ).join('\n');
    for (const tail of ['\n', '']) {
      const whole = Buffer.from(text + tail);
      for (const shift of [0, 1, 2, 3]) {
        // The same bytes at each alignment: the 4-byte count must not depend on where the buffer starts.
        const bytes = Buffer.alloc(whole.length + shift).subarray(shift);
        whole.copy(bytes);
        for (let start = 0; start < bytes.length; start += 37)
          for (const size of [1, 2, 3, 4, 5, 8, 100, Infinity])
            for (const maxBytes of [1, 5, 64, 1000, Infinity])
              expect(cutLines(bytes, start, size, maxBytes)).toEqual(
                cutLinesSlowly(bytes, start, size, maxBytes),
              );
      }
    }
  });
});

describe('wholeLines', () => {
  async function* reads(...parts: string[]): AsyncGenerator<Buffer> {
    for (const part of parts) yield Buffer.from(part);
  }
  const texts = async (source: AsyncIterable<Buffer>): Promise<string[]> => {
    const out: string[] = [];
    for await (const chunk of source) out.push(chunk.toString());
    return out;
  };

  it('gives whole lines per read, joining a line split across reads, and the last line alone', async () => {
    const count = { lines: 0, ended: false };
    const out = await texts(wholeLines(reads('a\nb', 'b\ncc', 'c', 'c\n\n', 'end'), count));
    expect(out).toEqual(['a\n', 'bb\n', 'cccc\n\n', 'end']);
    expect(count).toEqual({ lines: 5, ended: true });
  });

  it('keeps bytes as they are: a character split across reads, invalid UTF-8, \\r', async () => {
    const greek = Buffer.from('καλη\r\n');
    const parts = [greek.subarray(0, 3), Buffer.concat([greek.subarray(3), Buffer.from([0xff, 0xfe, 10])])];
    async function* split(): AsyncGenerator<Buffer> {
      yield* parts;
    }
    const out: Buffer[] = [];
    for await (const chunk of wholeLines(split())) out.push(chunk);
    expect(Buffer.concat(out).equals(Buffer.concat(parts))).toBe(true);
  });

  it('gives nothing for empty input', async () => {
    const count = { lines: 0, ended: false };
    expect(await texts(wholeLines(reads(), count))).toEqual([]);
    expect(count).toEqual({ lines: 0, ended: true });
  });
});
