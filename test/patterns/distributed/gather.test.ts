import { describe, expect, it } from 'vitest';
import { gather } from '../../../src/patterns/distributed/gather.js';
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
