/**
 * The line decoder, in-process: what a line is (ASCII, UTF-8, invalid bytes, \r, empty, last without \n,
 * very long), lines and characters split across chunks at every byte, and the fallback to Buffer's public
 * toString when Node's own slice methods are missing, which must give the same lines.
 */
import { describe, expect, it } from 'vitest';
import { byteSlicer, LineDecoder, type ByteSlicer } from '../../src/modules/lines.js';

interface Decoded {
  lines: string[];
  // For each line: its bytes as located by lineStart/lineEnd, and whether its batch was valid UTF-8.
  bytes: Buffer[];
  valid: boolean[];
}

// Feed `chunks` to a decoder as a stage environment does, collecting every line (the last one from end()).
function decode(chunks: Buffer[], slicer?: ByteSlicer): Decoded {
  const decoder = new LineDecoder(slicer);
  const out: Decoded = { lines: [], bytes: [], valid: [] };
  for (const chunk of chunks) {
    decoder.push(chunk);
    while (decoder.nextBatch())
      for (let line = decoder.next(); line !== undefined; line = decoder.next()) {
        out.lines.push(line);
        out.bytes.push(Buffer.from(decoder.bytes.subarray(decoder.lineStart, decoder.lineEnd)));
        out.valid.push(decoder.valid);
      }
  }
  const last = decoder.end();
  if (last !== undefined) out.lines.push(last);
  return out;
}

const lines = (chunks: (string | Buffer)[], slicer?: ByteSlicer): string[] =>
  decode(
    chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)),
    slicer,
  ).lines;

// Every way to cut `bytes` in two.
function* splits(bytes: Buffer): Generator<[Buffer, Buffer]> {
  for (let at = 0; at <= bytes.length; at++) yield [bytes.subarray(0, at), bytes.subarray(at)];
}

// A small seeded generator, so a failing case can be replayed.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// The answer by definition: decode the whole input as UTF-8, split on \n, and drop the empty tail after a
// final \n. (A \n is never part of a multi-byte sequence, so decoding per line or whole gives the same text.)
function expected(input: Buffer): string[] {
  const all = input.toString('utf8').split('\n');
  if (all.at(-1) === '') all.pop();
  return all;
}

// Cut `input` into chunks of random sizes between 1 and `max` bytes.
function chunked(input: Buffer, next: () => number, max: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < input.length;) {
    const size = 1 + Math.floor(next() * max);
    chunks.push(input.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

const nativeSlicer = byteSlicer();
const publicSlicer = byteSlicer({});

describe('LineDecoder: what a line is', () => {
  it('gives ASCII lines without their newline', () => {
    expect(lines(['one\ntwo\nthree\n'])).toEqual(['one', 'two', 'three']);
  });

  it('decodes non-ASCII lines as UTF-8, ASCII lines between them included', () => {
    expect(lines(['héllo\nplain\nwörld ✓\n😀\n'])).toEqual(['héllo', 'plain', 'wörld ✓', '😀']);
  });

  it('keeps empty lines, at the start, the middle and the end', () => {
    expect(lines(['\n\na\n\n\nb\n\n'])).toEqual(['', '', 'a', '', '', 'b', '']);
  });

  it('an input of one newline is one empty line; an empty input is no line', () => {
    expect(lines(['\n'])).toEqual(['']);
    expect(lines([''])).toEqual([]);
    expect(lines([])).toEqual([]);
  });

  it('counts a last line without a newline, and end() returns it', () => {
    expect(lines(['a\nb'])).toEqual(['a', 'b']);
    expect(lines(['a\nbé'])).toEqual(['a', 'bé']);
    const decoder = new LineDecoder();
    decoder.push(Buffer.from('x\ntail'));
    expect(decoder.nextBatch()).toBe(true);
    expect(decoder.next()).toBe('x');
    expect(decoder.next()).toBeUndefined();
    expect(decoder.nextBatch()).toBe(false);
    expect(decoder.end()).toBe('tail');
    expect(decoder.end()).toBeUndefined();
  });

  it('splits only on \\n: a \\r stays part of its line (CRLF input keeps its \\r)', () => {
    expect(lines(['a\r\nb\r\n\r\nc\rd\n'])).toEqual(['a\r', 'b\r', '\r', 'c\rd']);
  });

  it('keeps a byte-order mark as part of the first line', () => {
    expect(lines([Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x0a, 0x62, 0x0a])])).toEqual(['\ufeffa', 'b']);
  });

  it('turns invalid UTF-8 into U+FFFD, as Buffer#toString does, and marks the batch invalid', () => {
    const input = Buffer.from([0x61, 0xff, 0x62, 0x0a, 0xc3, 0x0a, 0xe2, 0x82, 0x0a, 0xc3, 0xa9, 0x0a]);
    const decoded = decode([input]);
    expect(decoded.lines).toEqual(['a\ufffdb', '\ufffd', '\ufffd', 'é']);
    expect(decoded.valid).toEqual([false, false, false, false]);
    expect(decode([Buffer.from('é\n')]).valid).toEqual([true]);
    expect(decode([Buffer.from('ascii\n')]).valid).toEqual([true]);
  });

  it('decodes long runs of non-ASCII lines (the UTF-16 path) as Buffer#toString does, valid or not', () => {
    const text = Array.from({ length: 300 }, (_, i) => `${i} αβγ жзи 日本語 😀 ${'é'.repeat(i % 90)}`);
    const valid = Buffer.from(`${text.join('\n')}\n`);
    expect(lines([valid])).toEqual(text);
    // An invalid byte in the middle of the run: the U+FFFD, and every other line intact.
    const invalid = Buffer.concat([valid.subarray(0, 5000), Buffer.from([0xff]), valid.subarray(5000)]);
    expect(lines([invalid])).toEqual(invalid.toString('utf8').split('\n').slice(0, -1));
  });

  it('a truncated character before the newline does not swallow the newline', () => {
    // 0xf0 0x9f starts a 4-byte character; the \n after it still ends the line.
    expect(lines([Buffer.from([0xf0, 0x9f, 0x0a, 0x62, 0x0a])])).toEqual(['\ufffd', 'b']);
  });

  it('lineStart and lineEnd locate each line’s own bytes in the batch', () => {
    const input = Buffer.from('ab\n\nçé\nx😀y\n');
    const decoded = decode([input]);
    expect(decoded.bytes.map((b) => b.toString('utf8'))).toEqual(['ab', '', 'çé', 'x😀y']);
  });
});

describe('LineDecoder: lines split across chunks', () => {
  it('joins a line begun in earlier chunks', () => {
    expect(lines(['ab', 'c\nd', 'e', 'f\ng\n'])).toEqual(['abc', 'def', 'g']);
  });

  it('joins a chunk that is only part of a line, or only a newline', () => {
    expect(lines(['a', 'b', 'c', '\n', '\n', 'd'])).toEqual(['abc', '', 'd']);
  });

  it('joins a multi-byte character split at every byte, of every length', () => {
    const input = Buffer.from('x\né\n€\n😀\nend é€😀\n');
    for (const [head, tail] of splits(input))
      expect(lines([head, tail]), `split at ${head.length}`).toEqual(['x', 'é', '€', '😀', 'end é€😀']);
  });

  it('gives the same lines one byte at a time', () => {
    const input = Buffer.from('α\nβγ\n\nplain\n😀😀\ntail é');
    const bytes = [...input].map((b) => Buffer.from([b]));
    expect(lines(bytes)).toEqual(['α', 'βγ', '', 'plain', '😀😀', 'tail é']);
  });

  it('reads a very long line (4 MiB, in 64 KiB chunks), ASCII and not', () => {
    const ascii = Buffer.from(`${'x'.repeat(4 << 20)}\nshort\n`);
    const chunks = chunked(ascii, () => 1, 1 << 16);
    const decoded = lines(chunks);
    expect(decoded).toHaveLength(2);
    expect(decoded[0]).toHaveLength(4 << 20);
    expect(decoded[0]).toBe('x'.repeat(4 << 20));
    expect(decoded[1]).toBe('short');

    const wide = `${'é'.repeat(1 << 20)}😀`;
    const text = Buffer.from(`${wide}\n${wide}`);
    expect(lines(chunked(text, () => 0.37, 1 << 16))).toEqual([wide, wide]);
  });
});

describe('LineDecoder: the same lines as decoding the whole input and splitting it', () => {
  // Lines of every kind: ASCII, sparse and dense non-ASCII (the decoder's two paths), long ones (> 64 bytes
  // are copied differently), empty ones, and invalid bytes.
  const pieces = [
    'ascii line',
    '',
    'é',
    'naïve café',
    '€€€',
    '😀 emoji',
    'x'.repeat(100),
    `${'y'.repeat(80)}ü`,
    'ü'.repeat(50),
  ];
  function sample(next: () => number, count: number, invalid: boolean): Buffer {
    const parts: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      parts.push(Buffer.from(pieces[Math.floor(next() * pieces.length)] as string));
      if (invalid && next() < 0.05) parts.push(Buffer.from([0x80 + Math.floor(next() * 0x80)]));
      parts.push(Buffer.from('\n'));
    }
    if (next() < 0.5) parts.push(Buffer.from('no newline at the end ✓'));
    return Buffer.concat(parts);
  }

  for (const [name, wideShare] of [
    ['mostly ASCII (sparse non-ASCII lines)', 0.05],
    ['mostly non-ASCII (dense)', 1],
  ] as const) {
    it(`${name}, valid and invalid, in random chunks`, () => {
      const next = random(name.length);
      for (let round = 0; round < 40; round++) {
        const pick = (): number => (next() < wideShare ? next() : next() * 0.2);
        const input = sample(pick, 50 + Math.floor(next() * 200), round % 2 === 1);
        const chunks = chunked(input, next, [1, 7, 64, 4096, 1 << 16][round % 5] as number);
        expect(lines(chunks), `round ${round}`).toEqual(expected(input));
      }
    });
  }
});

describe('LineDecoder without Node’s internal Buffer slice methods', () => {
  it('byteSlicer() uses the public toString when latin1Slice/utf8Slice are missing', () => {
    const bytes = Buffer.from([0x61, 0xc3, 0xa9, 0xff, 0x0a]);
    // A prototype without the methods: the fallback, which must give what toString gives.
    expect(publicSlicer.latin1(bytes, 0, 5)).toBe(bytes.toString('latin1'));
    expect(publicSlicer.utf8(bytes, 0, 4)).toBe('aé\ufffd');
    expect(publicSlicer.latin1(bytes, 1, 3)).toBe('\u00c3\u00a9');
    // Only one of the two present counts as missing too.
    const half = byteSlicer({ latin1Slice: () => 'wrong' });
    expect(half.latin1(bytes, 0, 1)).toBe('a');
    // This Node has them (if a future one does not, the default is the fallback and still correct).
    expect(nativeSlicer.latin1(bytes, 0, 5)).toBe(bytes.toString('latin1'));
    expect(nativeSlicer.utf8(bytes, 1, 3)).toBe('é');
  });

  it('gives identical lines, byte positions and validity with the fallback', () => {
    const next = random(7);
    const text = Array.from({ length: 400 }, (_, i) =>
      i % 3 === 0 ? 'plain ascii' : i % 3 === 1 ? `wide ${'é'.repeat(i % 90)}` : '',
    ).join('\n');
    const inputs = [
      Buffer.from(`${text}\nlast`),
      Buffer.concat([Buffer.from('bad '), Buffer.from([0xff, 0xfe]), Buffer.from(`\n${text}\n`)]),
      Buffer.from(`${'ü'.repeat(1 << 16)}\n${'a'.repeat(1 << 16)}\n`),
    ];
    for (const input of inputs) {
      const chunks = chunked(input, next, 3000);
      const native = decode(chunks, nativeSlicer);
      const fallback = decode(chunks, publicSlicer);
      expect(fallback.lines).toEqual(native.lines);
      const hex = (bytes: Buffer[]): string[] => bytes.map((b) => b.toString('hex'));
      expect(hex(fallback.bytes)).toEqual(hex(native.bytes));
      expect(fallback.valid).toEqual(native.valid);
      expect(fallback.lines).toEqual(expected(input));
    }
  });
});
