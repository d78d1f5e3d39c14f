import { describe, expect, it } from 'vitest';
import { gather, gatherLines } from '../../../src/patterns/distributed/gather.js';
import type { ItemChunk } from '../../../src/patterns/fan-out/fan-in.js';

const chunk = (...lines: string[]): ItemChunk => Object.assign(lines, { joined: lines.join('\n') });

async function all(source: AsyncIterable<ItemChunk>): Promise<{ items: string[]; joined?: string }[]> {
  const out: { items: string[]; joined?: string }[] = [];
  for await (const c of source) out.push({ items: [...c], joined: c.joined });
  return out;
}

describe('gather', () => {
  it('joins chunks that are at hand, up to what is wanted, keeping the joined text', async () => {
    const source = [chunk('a', 'b'), chunk('c'), chunk('d', 'e'), chunk('f')];
    expect(await all(gather(source, () => 3, 1 << 20))).toEqual([
      { items: ['a', 'b', 'c'], joined: 'a\nb\nc' },
      { items: ['d', 'e', 'f'], joined: 'd\ne\nf' },
    ]);
  });

  it('stops joining at the character bound, and drops joined when a part has none', async () => {
    const source = [chunk('aaaa'), ['b'], chunk('cccc'), chunk('dddd')];
    expect(await all(gather(source, () => 100, 9))).toEqual([
      { items: ['aaaa', 'b', 'cccc'], joined: undefined },
      { items: ['dddd'], joined: 'dddd' },
    ]);
  });

  it('passes a chunk on when no other follows within the linger: a trickle is not held back', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    async function* trickle(): AsyncGenerator<ItemChunk> {
      yield chunk('first');
      await held;
      yield chunk('second');
    }
    const iterator = gather(trickle(), () => 1000, 1 << 20, 5)[Symbol.asyncIterator]();
    // The first chunk comes out while the source is still waiting for its second.
    expect((await iterator.next()).value).toEqual(chunk('first'));
    release();
    expect((await iterator.next()).value).toEqual(chunk('second'));
    expect((await iterator.next()).done).toBe(true);
  });
});

describe('gatherLines', () => {
  const runs = async (source: Iterable<Buffer>, want: () => number, maxBytes = 1 << 20) => {
    const out: { text: string; count: number }[] = [];
    for await (const run of gatherLines(source, want, maxBytes))
      out.push({ text: String(run.bytes), count: run.count });
    return out;
  };
  const bytes = (text: string): Buffer => Buffer.from(text);

  it('cuts runs of exactly the wanted lines across reads; the rest of a read starts the next run', async () => {
    const source = [bytes('a\nb\n'), bytes('c\nd\ne\n'), bytes('f\n')];
    expect(await runs(source, () => 3)).toEqual([
      { text: 'a\nb\nc\n', count: 3 },
      { text: 'd\ne\nf\n', count: 3 },
    ]);
  });

  it('asks for the wanted size at each cut, and counts a last line without a newline', async () => {
    const sizes = [1, 2, 4];
    let k = 0;
    const source = [bytes('a\nb\nc\nd\ne\nf\n'), bytes('last')];
    expect(await runs(source, () => sizes[Math.min(k, sizes.length - 1)] as number)).toEqual([
      { text: 'a\n', count: 1 },
      { text: 'b\n', count: 1 },
      { text: 'c\n', count: 1 },
      { text: 'd\n', count: 1 },
      { text: 'e\n', count: 1 },
      { text: 'f\n', count: 1 },
      { text: 'last', count: 1 },
    ]);
    k = 2;
    expect(await runs([bytes('a\nb\nc\nd\ne\nf\n'), bytes('last')], () => sizes[k] as number)).toEqual([
      { text: 'a\nb\nc\nd\n', count: 4 },
      { text: 'e\nf\nlast', count: 3 },
    ]);
  });

  it('stops a run at the byte bound, but takes at least one line however long', async () => {
    const source = [bytes('aaaa\nbb\n'), bytes('cccccccccc\nd\n')];
    expect(await runs(source, () => 100, 6)).toEqual([
      { text: 'aaaa\n', count: 1 },
      { text: 'bb\n', count: 1 },
      { text: 'cccccccccc\n', count: 1 },
      { text: 'd\n', count: 1 },
    ]);
  });
});
