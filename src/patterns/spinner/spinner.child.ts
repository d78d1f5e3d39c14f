/**
 * The spinner child: a separate process whose only job is to keep a spinner turning on stderr.
 * Its event loop is free while the parent's is blocked, which is the whole point of the pattern.
 * It obeys messages from src/patterns/spinner/protocol.ts, cleans the terminal itself, and exits when its parent
 * goes away (IPC 'disconnect'), because a busy or killed parent cannot clean up after it.
 * Try: concur demo spinner
 */
import { epochNow } from '../../trace/clock.js';
import { isToSpinner, type FromSpinner, type ToSpinner } from './protocol.js';
import { exitWithParent, guard } from '../../process/lifeline.js';
import { receive, send as sendToParent } from '../../process/messages.js';
import { FrameClock } from './clock.js';
import type { Renderer } from './render.js';

// The child's whole state: what it was told (for the demo's narration), and how it is drawing.
const received: string[] = [];
const receivedAt: number[] = [];
let renderer: Renderer | undefined;
let baseText = '';
let animated = false;
let color = false;
let finished = false;

// Reply to the parent if it is still there; `then` runs once the message has left (or at once if it cannot).
function send(message: FromSpinner, then?: () => void): void {
  if (process.connected) sendToParent(message, then);
  else then?.();
}

// Stop drawing, print the final line (if any), report stats, then close the channel and exit.
function finish(kind: 'succeed' | 'fail' | undefined, text = ''): void {
  if (finished) return;
  finished = true;
  renderer?.clear();
  if (kind) {
    process.stderr.write(`${loadedRender.finalMark?.(kind, color) ?? '✔'} ${text}\n`);
  }
  // Disconnect only once the stats are written: closing a channel drops writes still queued on it.
  const stats = clock.stats(animated, received, receivedAt);
  send({ type: 'stats', stats, at: epochNow() }, () => process.disconnect?.());
}

// Filled in once the renderer has loaded (see the end of this file).
const clock = new FrameClock();
let earlyFrame = false;
const loadedRender: {
  createRenderer?: typeof import('./render.js').createRenderer;
  finalMark?: typeof import('./render.js').finalMark;
} = {};

// One message from the parent. The switch is exhaustive: a new message type in the protocol will not compile
// until this child handles it.
function handle(message: ToSpinner): void {
  received.push(message.type);
  receivedAt.push(epochNow());
  switch (message.type) {
    case 'start': {
      if (renderer) return;
      baseText = message.text;
      animated = message.animate;
      color = message.color;
      const { createRenderer } = loadedRender;
      if (createRenderer) renderer = createRenderer(message, clock);
      clock.startSteady();
      return;
    }
    case 'update': {
      if (message.text !== undefined) baseText = message.text;
      const progress = message.fraction === undefined ? '' : ` ${Math.floor(message.fraction * 100)}%`;
      renderer?.update(`${baseText}${progress}`);
      return;
    }
    case 'log':
      renderer?.log(message.stream === 'stdout' ? process.stdout : process.stderr, message.text);
      return;
    case 'guard':
      guard(message.pid, message.group);
      return;
    case 'succeed':
    case 'fail':
      finish(message.type, message.text);
      return;
    case 'stop':
      finish(undefined);
      return;
    default: {
      const unknown: never = message;
      throw new Error(`spinner child: unknown message ${JSON.stringify(unknown)}`);
    }
  }
}

// Leave the terminal as we found it: spinner gone, cursor visible.
function cleanTerminal(): void {
  if (finished) return;
  finished = true;
  if (renderer) renderer.clear();
  else if (earlyFrame) process.stderr.write('\r\u001b[K');
}

// The renderer module loads after this one. Draw the first frame by hand meanwhile, so the spinner shows as soon
// as this process is up; the renderer's first frame then draws over it in place.
function drawEarlyFrame(start: Extract<ToSpinner, { type: 'start' }>): void {
  if (!start.animate || start.style !== 'ora') return;
  const glyph = start.color ? '\u001b[36m⠋\u001b[39m' : '⠋';
  process.stderr.write(`${glyph} ${start.text}`);
  earlyFrame = true;
  clock.tick();
}

exitWithParent(cleanTerminal);
// Ctrl-C on a terminal reaches the whole process group: clean up and go, whatever the parent is doing.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  process.on(signal, () => {
    cleanTerminal();
    process.exit(code);
  });
}

// Listen before loading the renderer: if the parent dies in the first milliseconds, the group it asked us to
// guard must still be killed. Until the renderer has loaded, messages wait in the inbox, except `guard`.
const inbox: ToSpinner[] = [];
let loaded = false;
receive(isToSpinner, (message) => {
  if (loaded || message.type === 'guard') return handle(message);
  if (message.type === 'start') drawEarlyFrame(message);
  inbox.push(message);
});
const render = await import('./render.js');
loadedRender.createRenderer = render.createRenderer;
loadedRender.finalMark = render.finalMark;
loaded = true;
for (const message of inbox.splice(0)) handle(message);
send({ type: 'ready', pid: process.pid, at: epochNow() });
