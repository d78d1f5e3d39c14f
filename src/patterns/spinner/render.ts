/**
 * How a spinner is drawn, kept apart from where it runs. The same renderers serve the spinner child
 * (the pattern) and `--in-process` (the counter-example), so the only difference between the two is the process.
 * Try: concur demo spinner
 */
import { Chalk } from 'chalk';
import ora, { type Ora } from 'ora';
import type { ToSpinner } from './protocol.js';
import type { FrameClock } from './clock.js';

/** The chapter's frames, drawn with backspaces (Simionato's spinner_func). */
export const CLASSIC_FRAMES = ['|', '/', '-', '\\'] as const;
/** The chapter's prompt. */
export const CLASSIC_TEXT = 'Please wait ... ';

/** The settings a renderer starts from: the protocol's start message. */
export type RenderStart = Extract<ToSpinner, { type: 'start' }>;

/** Something that draws frames on stderr. */
export interface Renderer {
  update(text: string): void;
  /** Print a line above the spinner without garbling it. */
  log(stream: NodeJS.WriteStream, text: string): void;
  /** Stop drawing and leave the line clean, cursor visible. */
  clear(): void;
}

/** The final line's mark: a green ✔ or a red ✖, coloured only when allowed. */
export function finalMark(kind: 'succeed' | 'fail', color: boolean): string {
  const ink = new Chalk({ level: color ? 1 : 0 });
  return kind === 'succeed' ? ink.green('✔') : ink.red('✖');
}

/** Pick the renderer the start message asks for: ora, classic, or plain lines when not animating. */
export function createRenderer(start: RenderStart, clock: FrameClock): Renderer {
  if (!start.animate) return plainRenderer(start, clock);
  return start.style === 'classic' ? classicRenderer(start, clock) : oraRenderer(start, clock);
}

// ora does the drawing; wrapping frame() lets us count the frames it really draws.
function oraRenderer(start: RenderStart, clock: FrameClock): Renderer {
  const spinner: Ora = ora({
    text: start.text,
    stream: process.stderr,
    isEnabled: true,
    // ora's default puts a shared terminal into raw mode, which would swallow Ctrl-C.
    discardStdin: false,
    color: start.color ? 'cyan' : false,
    interval: start.intervalMs,
  });
  const frame = spinner.frame.bind(spinner);
  spinner.frame = () => {
    clock.tick();
    return frame();
  };
  spinner.start();
  return {
    update: (text) => {
      spinner.text = text;
    },
    // ora hooks the stream's write(): it clears the spinner, writes the line, and redraws below it.
    log: (stream, text) => void stream.write(`${text}\n`),
    clear: () => void spinner.stop(),
  };
}

// The 2009 original: write prompt + frame, flush, then as many backspaces as characters, every DELAY.
function classicRenderer(start: RenderStart, clock: FrameClock): Renderer {
  let index = 0;
  let width = 0;
  const draw = (): void => {
    const message = `${CLASSIC_TEXT}${CLASSIC_FRAMES[index % CLASSIC_FRAMES.length]}`;
    index += 1;
    width = message.length;
    process.stderr.write(message + '\b'.repeat(width));
    clock.tick();
  };
  const blank = (): void => void process.stderr.write(' '.repeat(width) + '\b'.repeat(width));
  draw();
  const timer = setInterval(draw, start.intervalMs);
  return {
    update: () => {},
    log: (stream, text) => {
      blank();
      stream.write(`${text}\n`);
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
    log: (stream, text) => void stream.write(`${text}\n`),
    clear: () => clearInterval(timer),
  };
}
