/**
 * The output side of one pipeline stage (stage.child.ts): what a chunk of input becomes, and how it is written.
 * Lines the module returns unchanged go out as slices of their own input bytes; the rest become text. Each
 * chunk is one write, and a write that fills the pipe is waited on: the stage pauses its input meanwhile, so a
 * slow consumer slows every producer. At the end, the stage waits until every write has reached the kernel.
 * Try: concur demo pipeline
 */
import type { Writable } from 'node:stream';
import type { LineDecoder } from '../../modules/lines.js';
import type { StageStats } from './protocol.js';

/**
 * What the batches of one chunk of input become. A line the module returns unchanged keeps its own bytes: runs
 * of such lines are written as slices of the input, never decoded and re-encoded (identity, a filter, a stage
 * that only logs). Lines the module changed, dropped or multiplied become text. Pieces are in input order.
 */
export class ChunkOutput {
  private pieces: (Buffer | string)[] = [];
  private count = 0; // lines in `pieces`
  private texts: string[] = [];
  private rawFrom = 0; // start of the current run of unchanged lines in the batch
  private raw = true; // false for a batch holding invalid UTF-8: its bytes are not its text
  private open = false; // a batch of lines is current (between begin and finish)

  /** `lines` is the stage's decoder, whose current batch and line this follows; `stats` counts lines out. */
  constructor(
    private readonly lines: LineDecoder,
    private readonly stats: StageStats,
  ) {}

  /** A new batch of lines is current. */
  begin(): void {
    this.rawFrom = 0;
    this.raw = this.lines.valid;
    this.open = true;
  }

  /** A batch taken as bytes became `bytes`, holding `count` whole lines (the module's `chunk` answer). */
  add(bytes: Buffer, count: number): void {
    this.closeTexts();
    if (bytes.length > 0) this.pieces.push(bytes);
    this.count += count;
  }

  /** The current line came back unchanged. */
  keep(line: string): void {
    if (this.raw) this.count++;
    else this.replace([line]);
  }

  /** The current line became `out` (none, one or several lines). */
  replace(out: readonly string[]): void {
    const { lineStart, lineEnd, bytes } = this.lines;
    if (this.rawFrom < lineStart) {
      this.closeTexts();
      this.pieces.push(bytes.subarray(this.rawFrom, lineStart));
    }
    this.rawFrom = lineEnd + 1;
    for (let i = 0; i < out.length; i++) this.texts.push(out[i] as string);
    this.count += out.length;
  }

  /** The batch has been run to its end (`all`) or up to its current line, which failed. */
  finish(all = true): void {
    if (!this.open) return;
    this.open = false;
    const upTo = all ? this.lines.bytes.length : this.lines.lineStart;
    if (this.rawFrom < upTo) {
      this.closeTexts();
      this.pieces.push(this.lines.bytes.subarray(this.rawFrom, upTo));
    }
    this.closeTexts();
    this.rawFrom = Math.max(this.rawFrom, upTo);
  }

  /** Everything to write so far, each line ending in \n; counted in the stage's statistics. */
  take(): (Buffer | string)[] {
    const pieces = this.pieces;
    this.stats.linesOut += this.count;
    this.pieces = [];
    this.count = 0;
    return pieces;
  }

  private closeTexts(): void {
    if (this.texts.length === 0) return;
    this.texts.push('');
    this.pieces.push(this.texts.join('\n'));
    this.texts = [];
  }
}

/** Write pieces (each ending in \n) to `out`, counting bytes out; resolve once it has room again (or at once, when it has). */
export function write(out: Writable, stats: StageStats, pieces: (Buffer | string)[]): void | Promise<void> {
  if (pieces.length === 0) return;
  // Many small pieces (a filter keeping most lines) are joined; a few go out as one writev, uncopied.
  if (pieces.length > 8)
    pieces = [Buffer.concat(pieces.map((piece) => (typeof piece === 'string' ? Buffer.from(piece) : piece)))];
  let room = true;
  if (pieces.length > 1) out.cork();
  for (const piece of pieces) {
    if (piece.length === 0) continue;
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
    stats.bytesOut += bytes.length;
    room = out.write(bytes);
  }
  if (pieces.length > 1) out.uncork();
  // 'drain' is certain here: Node emits it once the buffer empties after a write() that answered false.
  if (room) return;
  return new Promise((resolve) => out.once('drain', resolve));
}

// Resolve when everything written has reached the kernel (process.exit would drop a queued write). Not by
// waiting for 'drain': Node emits it only after a write() answered false, and the last writes of a stage
// often fit under the high-water mark while the reader is busy, so that 'drain' would never come. The
// callback of an empty write runs after every write queued before it has completed.
export function flushed(out: Writable): Promise<void> {
  if (out.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => out.write('', () => resolve()));
}
