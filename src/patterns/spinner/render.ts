/**
 * How a spinner is drawn, kept apart from where it runs. The same renderers serve the spinner child
 * (the pattern) and `--in-process` (the counter-example), so the only difference between the two is the process.
 *
 * The default draws what ora draws (its `dots` spinner, cyan, the same escape sequences), but each frame is one
 * precomputed string and one write: ora measures, colours and writes five times per frame, and a spinner that
 * turns for minutes should cost next to nothing (bench/spinner.bench.js).
 * Try: concur demo spinner
 */
import { writeSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import type { ToSpinner } from './protocol.js';
import type { FrameClock } from './clock.js';

/** The chapter's frames, drawn with backspaces (Simionato's spinner_func). */
export const CLASSIC_FRAMES = ['|', '/', '-', '\\'] as const;
/** The chapter's prompt. */
export const CLASSIC_TEXT = 'Please wait ... ';
/** ora's default spinner (cli-spinners `dots`), one frame every 80 ms. */
export const DOTS_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;

/** The settings a renderer starts from: the protocol's start message. */
export type RenderStart = Extract<ToSpinner, { type: 'start' }>;

/** Something that draws frames on stderr. */
export interface Renderer {
  update(text: string): void;
  /**
   * Print output above the spinner without garbling it. Text that does not end with a newline is a partial
   * line (a prompt): it stays in view, with the cursor after it, and the spinner waits until the line ends.
   */
  log(stream: NodeJS.WriteStream, text: string): void;
  /** Stop drawing and leave the line clean, cursor visible. */
  clear(): void;
}

// The escape sequences ora writes (Node's readline cursorTo/clearLine/moveCursor, cli-cursor, and the
// synchronized-output brackets that stop a terminal from showing a half-drawn frame).
const ESC = '\u001b[';
const HIDE_CURSOR = `${ESC}?25l`;
const SHOW_CURSOR = `${ESC}?25h`;
const SYNC_ON = `${ESC}?2026h`;
const SYNC_OFF = `${ESC}?2026l`;
const cyan = (text: string): string => `${ESC}36m${text}${ESC}39m`;

/** The final line's mark: a green ✔ or a red ✖, coloured only when allowed. */
export function finalMark(kind: 'succeed' | 'fail', color: boolean): string {
  const mark = kind === 'succeed' ? '✔' : '✖';
  if (!color) return mark;
  return kind === 'succeed' ? `${ESC}32m${mark}${ESC}39m` : `${ESC}31m${mark}${ESC}39m`;
}

/** Pick the renderer the start message asks for: ora's dots, classic, or plain lines when not animating. */
export function createRenderer(start: RenderStart, clock: FrameClock): Renderer {
  if (!start.animate) return plainRenderer(start, clock);
  return start.style === 'classic' ? classicRenderer(start, clock) : dotsRenderer(start, clock);
}

// Terminal cells a string takes: wide (East Asian, emoji) characters take two. Run only when the text changes.
function cellWidth(text: string): number {
  let width = 0;
  for (const char of stripVTControlCharacters(text)) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0) || (code >= 0x300 && code < 0x370)) continue;
    const wide =
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6) ||
      (code >= 0x1f300 && code <= 0x1faff) ||
      (code >= 0x20000 && code <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

// How many terminal rows `text` fills at `columns` (ora's count: each line at least one row).
function rowsOf(text: string, columns: number): number {
  let rows = 0;
  for (const line of text.split('\n')) rows += Math.max(1, Math.ceil(cellWidth(line) / columns));
  return rows;
}

// Move to column 1 and erase the `rows` rows the last frame took, bottom to top, as ora's clear() does.
function eraseRows(rows: number): string {
  let out = `${ESC}1G`;
  for (let row = 0; row < rows; row++) out += `${row > 0 ? `${ESC}1A` : ''}${ESC}0K`;
  return out;
}

// One frame, straight to the terminal with one system call. Writes to a terminal are synchronous in Node
// anyway, so the order with stream writes holds; skipping the stream machinery takes most of a frame's cost. A
// terminal that cannot take the bytes now (paused with Ctrl-S) loses this frame, not the process's time.
function writeFrame(frame: string): void {
  try {
    writeSync(2, frame);
  } catch {
    // The next frame draws over it.
  }
}

// ora's look, at a fraction of its cost: every frame's bytes are built when the text changes, not per frame.
function dotsRenderer(start: RenderStart, clock: FrameClock): Renderer {
  const stream = process.stderr;
  const glyphs = DOTS_FRAMES.map((glyph) => (start.color ? cyan(glyph) : glyph));
  let text = start.text;
  let index = 0;
  /** Rows the spinner occupies on screen now (0: not drawn). */
  let drawnRows = 0;
  /** Rows one frame of the current text takes, and each frame's full bytes when replacing such a frame. */
  let rows = 1;
  let steady: (string | undefined)[] = [];
  /** The text changed since the last frame: measure it again when the next frame is drawn. */
  let changed = true;
  /** A partial line (a prompt) is on screen: draw nothing until its line is finished. */
  let held = false;
  // Progress can change the text many times between two frames: only the text a frame shows is measured, and
  // each frame's bytes are built the first time that frame is drawn.
  const prepare = (): void => {
    rows = rowsOf(`${DOTS_FRAMES[0]} ${text}`, stream.columns || 80);
    steady = [];
    changed = false;
  };
  // One write per frame; only a frame after a change (first frame, new text, resize) is built on the spot.
  const draw = (advance: boolean): void => {
    if (held) return;
    if (changed) prepare();
    const frame =
      drawnRows === rows
        ? (steady[index] ??= `${SYNC_ON}${eraseRows(rows)}${glyphs[index] ?? ''} ${text}${SYNC_OFF}`)
        : `${SYNC_ON}${eraseRows(drawnRows)}${glyphs[index] ?? ''} ${text}${SYNC_OFF}`;
    writeFrame(frame ?? '');
    drawnRows = rows;
    if (advance) {
      index = (index + 1) % glyphs.length;
      clock.tick();
    }
  };
  const erase = (): void => {
    if (drawnRows > 0) stream.write(eraseRows(drawnRows));
    drawnRows = 0;
  };
  const onResize = (): void => void (changed = true);
  stream.on('resize', onResize);
  stream.write(HIDE_CURSOR);
  draw(true);
  const timer = setInterval(() => draw(true), start.intervalMs);
  return {
    update: (next) => {
      if (next === text) return;
      text = next;
      changed = true;
    },
    log: (target, output) => {
      if (output === '') return;
      erase();
      const ends = output.endsWith('\n');
      // Show the cursor after a prompt, where the answer will be typed; hide it again once the line ends.
      if (ends && held) stream.write(HIDE_CURSOR);
      target.write(ends || held ? output : `${output}${SHOW_CURSOR}`);
      held = !ends;
      // Redraw below the new output at once, as ora does, without counting it as a frame.
      draw(false);
    },
    clear: () => {
      clearInterval(timer);
      stream.off('resize', onResize);
      erase();
      stream.write(SHOW_CURSOR);
    },
  };
}

// The 2009 original: write prompt + frame, flush, then as many backspaces as characters, every DELAY.
function classicRenderer(start: RenderStart, clock: FrameClock): Renderer {
  let index = 0;
  let width = 0;
  let held = false;
  const draw = (): void => {
    if (held) return;
    const message = `${CLASSIC_TEXT}${CLASSIC_FRAMES[index % CLASSIC_FRAMES.length]}`;
    index += 1;
    width = message.length;
    writeFrame(message + '\b'.repeat(width));
    clock.tick();
  };
  const blank = (): void => {
    if (width > 0) process.stderr.write(' '.repeat(width) + '\b'.repeat(width));
    width = 0;
  };
  draw();
  const timer = setInterval(draw, start.intervalMs);
  return {
    update: () => {},
    log: (stream, text) => {
      if (text === '') return;
      blank();
      stream.write(text);
      held = !text.endsWith('\n');
    },
    clear: () => {
      clearInterval(timer);
      blank();
    },
  };
}

// Not a terminal: no escape codes at all. A plain timer still ticks, so stats show whether the process stayed live.
function plainRenderer(start: RenderStart, clock: FrameClock): Renderer {
  process.stderr.write(`${start.style === 'classic' ? CLASSIC_TEXT.trimEnd() : start.text}\n`);
  clock.tick();
  const timer = setInterval(() => clock.tick(), start.intervalMs);
  return {
    update: () => {},
    log: (stream, text) => void stream.write(text),
    clear: () => clearInterval(timer),
  };
}
