/**
 * Lines from a byte stream, a chunk at a time. `lineChunks` gives one array of whole lines per read (fan-out);
 * `LineDecoder` gives the lines of raw bytes one by one with where each sits in its batch (the stage
 * environments). UTF-8 characters split across reads are joined first, a line may be any length, and a last
 * line without a newline still counts. The newline itself is not part of a line.
 */

import * as nodeBuffer from 'node:buffer';
import { isAscii, isUtf8 } from 'node:buffer';

/** Counts kept while reading, for progress displays: lines so far, and whether the input has ended. */
export interface LineCount {
  lines: number;
  ended: boolean;
}

/** Yield the lines of `stream` in chunks (one array per read); `count` is updated as they are read. */
export async function* lineChunks(
  stream: NodeJS.ReadableStream,
  count: LineCount = { lines: 0, ended: false },
): AsyncGenerator<string[]> {
  stream.setEncoding('utf8');
  let carry = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    // Search only the new chunk: a megabyte line arriving in many reads is not rescanned each time.
    const last = chunk.lastIndexOf('\n');
    if (last < 0) {
      carry += chunk;
      continue;
    }
    const text = carry + chunk.slice(0, last);
    const lines = text.split('\n');
    carry = chunk.slice(last + 1);
    count.lines += lines.length;
    // The lines joined as they came: fan-out sends slices of it instead of joining the lines again.
    yield Object.assign(lines, { joined: text });
  }
  if (carry !== '') {
    count.lines++;
    yield [carry];
  }
  count.ended = true;
}

// Buffer's own slice methods, which toString(encoding, start, end) calls after parsing its arguments; they
// are on every Buffer in Node 20 but not in @types/node, and nothing promises they stay.
interface Slices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  ucs2Slice(start: number, end: number): string;
}

/** How the decoder turns a range of bytes into a string, as Latin-1 (one char per byte) or as UTF-8. */
export interface ByteSlicer {
  latin1(bytes: Buffer, start: number, end: number): string;
  utf8(bytes: Buffer, start: number, end: number): string;
}

/**
 * Buffer's own slice methods where `prototype` (Buffer's, by default) has them: per call they save
 * toString's argument parsing. Where a Node lacks them, the public `toString(encoding, start, end)`, which
 * gives the same strings.
 */
export function byteSlicer(prototype: object = Buffer.prototype): ByteSlicer {
  const own = prototype as Partial<Slices>;
  if (typeof own.latin1Slice === 'function' && typeof own.utf8Slice === 'function')
    return {
      latin1: (bytes, start, end) => (bytes as Buffer & Slices).latin1Slice(start, end),
      utf8: (bytes, start, end) =>
        end - start < 256 || !transcode || typeof own.ucs2Slice !== 'function'
          ? (bytes as Buffer & Slices).utf8Slice(start, end)
          : viaUtf16(bytes, start, end),
    };
  return {
    latin1: (bytes, start, end) => bytes.toString('latin1', start, end),
    utf8: (bytes, start, end) => bytes.toString('utf8', start, end),
  };
}

// Node's transcode, where it was built with ICU (a Node built without has none).
const transcode = (nodeBuffer as Partial<typeof nodeBuffer>).transcode;

// V8 decodes UTF-8 holding non-ASCII at about 0.1 GB/s; Node's transcode to UTF-16 and a copy of that into a
// string is five times faster, and gives the same string. It refuses invalid UTF-8 (throws): that text goes
// through V8's decoder, which makes the U+FFFD.
function viaUtf16(bytes: Buffer, start: number, end: number): string {
  if (!transcode) return (bytes as Buffer & Slices).utf8Slice(start, end);
  try {
    const utf16 = transcode(bytes.subarray(start, end), 'utf8', 'utf16le') as Buffer & Slices;
    return utf16.ucs2Slice(0, utf16.length);
  } catch {
    return (bytes as Buffer & Slices).utf8Slice(start, end);
  }
}

const defaultSlicer = byteSlicer();
const MAX_BATCH = 1 << 16;

/**
 * Lines of UTF-8 text from raw bytes, for the stage environments (`concur pipeline`, `concur coroutine`): one
 * decoder, so both see the same lines. Feed it a chunk with `push`, then for each `nextBatch()` take the
 * batch's lines with `next()` until it answers undefined; at end of input `end()` gives the last line if it
 * had no newline.
 *
 * What a line is: the bytes between two \n (a \r stays part of its line), decoded as UTF-8. Invalid bytes
 * become U+FFFD, as TextDecoder and Buffer#toString do; a byte-order mark stays part of the first line.
 *
 * Why not `toString('utf8')` and `split('\n')`: V8 decodes a chunk holding a single non-ASCII character into a
 * two-byte string at about 0.5 GB/s. Here each batch is copied once as Latin-1 (a memcpy), ASCII lines are
 * slices of that copy, and only runs of lines holding a byte ≥ 0x80 go through the UTF-8 decoder. The
 * positions in the Latin-1 copy are byte offsets, so `lineStart`/`lineEnd` locate each line's own bytes.
 */
export class LineDecoder {
  /** The current batch: whole lines, each ending in \n (empty until a push completes a line). */
  bytes: Buffer = Buffer.alloc(0);
  /** False when the batch holds invalid UTF-8: its lines' bytes are not their text, re-encode them. */
  valid = true;
  /** False for a batch taken as bytes (`nextBatch(true)`): it has no lines to `next()`. */
  decoded = true;
  /** Byte offsets in `bytes` of the line `next()` returned last: its first byte, and its \n. */
  lineStart = 0;
  lineEnd = 0;

  // Bytes after the last \n so far: the start of a line later chunks finish (joined once, so O(n)).
  private carry: Buffer[] = [];
  private pending: Buffer | undefined; // what is left of the pushed chunk
  private text = ''; // the batch as Latin-1: one char per byte
  private pos = 0; // byte offset of the next line
  private words: Uint32Array | undefined; // the batch, 4 bytes at a time, for the scan
  private wordsFrom = 0; // byte offset of words[0]
  // The lines holding a byte >= 0x80 ("wide" lines), decoded together in `wide`, one after the other.
  private wide = '';
  private widePos = 0; // where the next wide line starts in `wide`
  private nextWide = Infinity; // byte offset of the next wide line in the batch
  private wideStarts: number[] | undefined; // offsets of all wide lines; undefined: every line up to wideEnd
  private wideIndex = 0;
  private wideEnd = -1;
  private spanEnd = -1; // byte offset of the last \n decoded into `wide`, for dense lines
  private scratch = Buffer.alloc(0);

  /** `slicer`: how bytes become strings (a seam for tests; the default is the fastest this Node offers). */
  constructor(private readonly slicer: ByteSlicer = defaultSlicer) {}

  /** Take the next chunk of input; then call `nextBatch()` until it answers false. */
  push(chunk: Buffer): void {
    this.pending = chunk;
  }

  /**
   * Make the next batch of whole lines of the pushed chunk current (read its lines with `next()`); false when
   * the chunk has no more. A line begun in earlier chunks is a batch of its own, so that joining it costs the
   * length of that line, not a copy of the whole chunk. `asBytes`: leave a batch of valid UTF-8 undecoded
   * (`decoded` false), for a stage that takes its lines as bytes; invalid UTF-8 is still decoded.
   */
  nextBatch(asBytes = false): boolean {
    const chunk = this.pending;
    if (!chunk) return false;
    this.pending = undefined;
    if (this.carry.length > 0) {
      const newline = chunk.indexOf(10);
      if (newline < 0) {
        this.carry.push(chunk);
        return false;
      }
      this.start(Buffer.concat([...this.carry, chunk.subarray(0, newline + 1)]), asBytes);
      this.carry = [];
      if (newline + 1 < chunk.length) this.pending = chunk.subarray(newline + 1);
      return true;
    }
    // A batch of at most 64 KiB where lines allow: V8 makes a bigger Latin-1 copy in its large-object space,
    // several times slower to allocate and free (a file on stdin is read 128 KiB at a time).
    if (chunk.length > MAX_BATCH && !asBytes) {
      const cut = chunk.lastIndexOf(10, MAX_BATCH - 1);
      if (cut >= 0) {
        this.pending = chunk.subarray(cut + 1);
        this.start(chunk.subarray(0, cut + 1));
        return true;
      }
    }
    const newline = chunk.lastIndexOf(10);
    if (newline + 1 < chunk.length) this.carry.push(chunk.subarray(newline + 1));
    if (newline < 0) return false;
    this.start(chunk.subarray(0, newline + 1), asBytes);
    return true;
  }

  /** The next whole line of the current batch, or undefined when the batch is used up. */
  next(): string | undefined {
    const pos = this.pos;
    if (pos >= this.bytes.length) return undefined;
    const end = this.text.indexOf('\n', pos);
    this.lineStart = pos;
    this.lineEnd = end;
    this.pos = end + 1;
    if (pos !== this.nextWide) return this.text.slice(pos, end);
    const starts = this.wideStarts;
    if (!starts && pos > this.spanEnd) this.decodeSpan(pos);
    this.nextWide = starts ? (starts[++this.wideIndex] ?? Infinity) : end < this.wideEnd ? end + 1 : Infinity;
    const from = this.widePos;
    let to = this.wide.indexOf('\n', from);
    if (to < 0) to = this.wide.length;
    this.widePos = to + 1;
    return this.wide.slice(from, to);
  }

  /** End of input: the last line when the input did not end with \n (decoded the same way), else undefined. */
  end(): string | undefined {
    const tail = this.carry.length === 1 ? (this.carry[0] as Buffer) : Buffer.concat(this.carry);
    this.carry = [];
    this.start(Buffer.alloc(0));
    return tail.length > 0 ? tail.toString('utf8') : undefined;
  }

  private start(bytes: Buffer, asBytes = false): void {
    this.bytes = bytes;
    this.decoded = !asBytes || !isUtf8(bytes);
    if (!this.decoded) {
      this.valid = true;
      this.pos = bytes.length;
      return;
    }
    this.text = this.slicer.latin1(bytes, 0, bytes.length);
    this.pos = 0;
    this.nextWide = Infinity;
    this.wide = '';
    this.words = undefined;
    this.valid = true;
    if (isAscii(bytes)) return;
    this.valid = isUtf8(bytes);
    // A view of the batch 4 bytes at a time, from its first 4-aligned byte (typed arrays must be aligned).
    const skip = (4 - (bytes.byteOffset & 3)) & 3;
    this.wordsFrom = skip;
    if (bytes.length - skip >= 4)
      this.words = new Uint32Array(bytes.buffer, bytes.byteOffset + skip, (bytes.length - skip) >>> 2);
    this.decodeWide();
  }

  // Find the wide lines and decode them with one call: per call, V8's UTF-8 decoder costs as much as a
  // hundred bytes of decoding, so a line at a time would cost more than the text. Sparse wide lines are
  // copied together first (each keeps its \n, so no invalid sequence can reach into the next); dense ones
  // are decoded where they are, ASCII lines between them included.
  private decodeWide(): void {
    const { bytes, text } = this;
    const starts: number[] = [];
    let size = 0;
    let end = -1;
    let dense = false;
    for (let high = this.nextHigh(0); high !== Infinity; high = this.nextHigh(end + 1)) {
      const start = text.lastIndexOf('\n', high) + 1;
      end = text.indexOf('\n', high);
      starts.push(start);
      size += end + 1 - start;
      // Mostly wide so far: stop looking, decode from here to the end of the batch.
      if (starts.length === 16 && size * 2 > end - (starts[0] as number)) {
        dense = true;
        end = bytes.length - 1;
        break;
      }
    }
    this.widePos = 0;
    this.wideIndex = 0;
    this.nextWide = starts[0] as number;
    this.wideEnd = end;
    if (dense || size * 2 > end - this.nextWide) {
      this.wideStarts = undefined;
      this.decodeSpan(this.nextWide);
      return;
    }
    this.wideStarts = starts;
    if (this.scratch.length < size) this.scratch = Buffer.allocUnsafe(Math.max(size, 4096));
    const scratch = this.scratch;
    let at = 0;
    for (const start of starts) {
      const stop = text.indexOf('\n', start) + 1;
      if (stop - start > 64) {
        scratch.set(bytes.subarray(start, stop), at);
        at += stop - start;
      } else for (let i = start; i < stop; i++) scratch[at++] = bytes[i] as number;
    }
    this.wide = this.slicer.utf8(scratch, 0, size - 1);
    // A huge batch of sparse wide lines must not pin its scratch copy for the rest of the run.
    if (scratch.length > 1 << 20) this.scratch = Buffer.alloc(0);
  }

  // Decode dense wide lines from `from` on, about 32 KiB at a time: a string that large stays in V8's young
  // generation, which frees it at once; a bigger one would wait for a full collection, and memory would grow.
  private decodeSpan(from: number): void {
    let to = this.text.indexOf('\n', Math.min(from + (1 << 15), this.wideEnd));
    if (to < 0 || to > this.wideEnd) to = this.wideEnd;
    this.wide = this.slicer.utf8(this.bytes, from, to);
    this.widePos = 0;
    this.spanEnd = to;
  }

  // Offset of the first byte >= 0x80 at or after `from` (Infinity if none): 4 bytes per step where aligned.
  private nextHigh(from: number): number {
    const bytes = this.bytes;
    const words = this.words;
    let i = from;
    if (words) {
      const base = this.wordsFrom;
      for (; i < base && i < bytes.length; i++) if ((bytes[i] as number) >= 0x80) return i;
      let w = (i - base + 3) >>> 2;
      for (; i < base + w * 4 && i < bytes.length; i++) if ((bytes[i] as number) >= 0x80) return i;
      // 16 bytes per test: runs of ASCII lines between two non-ASCII ones are crossed at memory speed.
      const last4 = words.length - 3;
      for (; w < last4; w += 4) {
        const any = (words[w] as number) | (words[w + 1] as number) | (words[w + 2] as number);
        if (((any | (words[w + 3] as number)) & 0x80808080) !== 0) break;
      }
      for (; w < words.length; w++) {
        if (((words[w] as number) & 0x80808080) !== 0) {
          for (i = base + w * 4; ; i++) if ((bytes[i] as number) >= 0x80) return i;
        }
      }
      i = Math.max(i, base + words.length * 4);
    }
    for (; i < bytes.length; i++) if ((bytes[i] as number) >= 0x80) return i;
    return Infinity;
  }
}
