/**
 * A fan-out worker: a separate process that loads the user's module once, then runs batches of items through
 * its default export (or whole, through its `chunk` export), one batch at a time, answering each with a
 * `results` message (src/patterns/fan-out/protocol.ts). It shares nothing with the pool and keeps nothing
 * between batches, so its memory stays flat however long the stream. It exits when its pool goes away (IPC
 * 'disconnect'), even if the pool was SIGKILLed.
 * Try: concur demo fan-out
 */
import { epochNow } from '../../trace/clock.js';
import { isUtf8 } from 'node:buffer';
import { loadStage, type ChunkFunction, type StageFunction } from '../../modules/contract.js';
import { exitWithParent } from '../../process/lifeline.js';
import { receive, send } from '../../process/messages.js';
import {
  isToFanOutWorker,
  linesOf,
  type FromFanOutWorker,
  type BatchTimes,
  type ItemFailure,
  type ToFanOutWorker,
} from './protocol.js';
import { cutLines } from './cutter.js';

let transform: StageFunction | undefined;
// The module's optional `chunk` export: many lines at once, as bytes (see throughChunk).
let chunkOf: ChunkFunction | undefined;
// `joined`: how the outputs go back when all succeed: as an array, as one string, or as bytes to write.
// A batch-lines keeps its `bytes`, and is split into `items` only if it runs line by line.
const queue: {
  id: number;
  items?: string[];
  bytes?: Buffer;
  rerun?: boolean;
  sentAt?: number;
  joined: 'no' | 'text' | 'lines';
  receivedAt: number;
}[] = [];
let running = false;
// With a timeout (see `load` in protocol.ts): how often to say which item starts, and when we last sent anything.
let progressMs = 0;
let lastSent = 0;
// With a timeout, the bound on a whole `chunk` call, and what a byte of a batch has lately cost (ms, smoothed).
let timeoutMs = 0;
let msPerByte: number | undefined;

// "returned null" / "returned an object": why a result is not an output line.
function notAString(value: unknown): string {
  const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  return `the worker returned ${kind}, not a string (a fan-out worker returns one string per item)`;
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] || (error instanceof Error ? error.name : 'error');
}

// The pool's timeout clock runs from the last message it heard: say `progress` if it has heard nothing lately.
function sayStarting(id: number, offset: number): void {
  if (performance.now() - lastSent < progressMs) return;
  lastSent = performance.now();
  send<FromFanOutWorker>({ type: 'progress', id, offset });
}

// Run one batch in order. Synchronous results are taken as they come; a promise is awaited only when returned,
// so a plain function costs one call per item and nothing more.
async function runBatch(
  fn: StageFunction,
  id: number,
  items: string[],
): Promise<{ outputs: (string | null)[]; failures: ItemFailure[] }> {
  const outputs: (string | null)[] = new Array<string | null>(items.length);
  const failures: ItemFailure[] = [];
  for (let offset = 0; offset < items.length; offset++) {
    // The pool's timeout clock runs from the last message it heard; a short item costs one comparison.
    if (progressMs > 0) sayStarting(id, offset);
    try {
      let result: unknown = fn(items[offset] as string);
      if (
        result !== null &&
        typeof result === 'object' &&
        typeof (result as PromiseLike<unknown>).then === 'function'
      )
        result = await result;
      if (typeof result === 'string') outputs[offset] = result;
      else {
        outputs[offset] = null;
        failures.push({ offset, message: notAString(result) });
      }
    } catch (error) {
      outputs[offset] = null;
      failures.push({ offset, message: reason(error) });
    }
  }
  return { outputs, failures };
}

// The outputs as one string, if none of them contains a newline (which would make the split ambiguous), each
// followed by one when `ended` (lines to write as they are). An output that is its own input (the same string)
// came from splitting on '\n', so it needs no search.
function joined(outputs: string[], inputs: string[], ended: boolean): string | undefined {
  for (let i = 0; i < outputs.length; i++) {
    const output = outputs[i] as string;
    if (output !== inputs[i] && output.includes('\n')) return undefined;
  }
  // An empty last element makes join end with '\n', without a second copy of the text to add it.
  if (ended) outputs.push('');
  return outputs.join('\n');
}

// The resident memory, read at most every 100 ms: reading it costs a system call and a batch can take 1 ms.
let rss = { bytes: 0, at: -Infinity };
function residentBytes(): number {
  const now = performance.now();
  if (now - rss.at >= 100) rss = { bytes: process.memoryUsage.rss(), at: now };
  return rss.bytes;
}

// A Buffer over the same memory (a message's bytes arrive as one; a typed array is accepted too).
const bytesOf = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

// Lines in `bytes`, each ending in \n.
const lineCount = (bytes: Buffer): number => cutLines(bytes, 0, Infinity, bytes.length).count;

// A batch of lines through the module's `chunk` export, with no string per line: the output lines as bytes, or
// undefined when the batch must run line by line instead, as it always could (the module has no `chunk`, the
// bytes are not valid UTF-8 or end without \n, `chunk` threw, it did not give one line per item, or, with a
// timeout, the call would take or took longer than the timeout).
async function throughChunk(id: number, bytes: Buffer): Promise<Buffer | undefined> {
  // A last line without \n goes to the default export, as in a pipeline (src/modules/README.md).
  if (!chunkOf || bytes[bytes.length - 1] !== 10 || !isUtf8(bytes)) return undefined;
  // With a timeout the pool's watchdog bounds the whole call as it bounds one item, and kills this worker if
  // it runs past it (the batch is then re-run item by item). A batch that looks too slow for that goes line
  // by line from the start, so an honest module on a short timeout never costs a restart.
  if (timeoutMs > 0) {
    if (msPerByte !== undefined && msPerByte * bytes.length > timeoutMs / 2) return undefined;
    sayStarting(id, 0);
  }
  const input = bytes;
  const started = performance.now();
  let output: unknown;
  try {
    output = await chunkOf(input);
  } catch {
    return undefined;
  }
  if (timeoutMs > 0) {
    const tookMs = performance.now() - started;
    learnCost(tookMs, bytes.length);
    // The call outran the timeout but not the watchdog's grace: an item in it may have run longer than the
    // timeout, so the results do not stand and each item is timed on its own.
    if (tookMs > timeoutMs) return undefined;
  }
  // The very bytes it was given (identity): one line per item, nothing to count.
  if (output === input) return input;
  let lines: Buffer;
  if (typeof output === 'string') lines = Buffer.from(output);
  else if (output instanceof Uint8Array)
    lines = Buffer.from(output.buffer, output.byteOffset, output.byteLength);
  else return undefined;
  if (lines[lines.length - 1] !== 10 || lineCount(lines) !== lineCount(input)) return undefined;
  return lines;
}

// What a byte of a batch costs, from the last batches (a moving average: one slow batch nudges it).
function learnCost(ms: number, bytes: number): void {
  const rate = ms / Math.max(1, bytes);
  msPerByte = msPerByte === undefined ? rate : 0.7 * msPerByte + 0.3 * rate;
}

// Work through the queue one batch at a time: the pool counts on "oldest unanswered batch = the running one".
async function drain(): Promise<void> {
  if (running || !transform) return;
  running = true;
  // Coming back from idle: the pool's clock runs from the later of our last word and, if it saw us idle, the
  // moment it sent this batch (`sentAt`), so an item starts without a word only if both were lately. Half a
  // progress interval of margin covers the two processes' clocks.
  const sentAt = queue[0]?.sentAt;
  if (sentAt !== undefined) lastSent = Math.max(lastSent, sentAt - performance.timeOrigin - progressMs / 2);
  while (queue.length > 0) {
    const batch = queue.shift()!;
    const started = performance.now();
    const startedAt = epochNow();
    // With a timeout, a batch re-run after its worker died (a `chunk` call ran too long, perhaps) is timed
    // item by item, so the item that hangs is the one that fails.
    const byItem = timeoutMs > 0 && batch.rerun;
    const chunked = batch.bytes && !byItem && (await throughChunk(batch.id, batch.bytes));
    let message: FromFanOutWorker;
    const answer = (): { busyMs: number; rss: number } & BatchTimes => {
      const busyMs = performance.now() - started;
      const times = { receivedAt: batch.receivedAt, startedAt, endedAt: startedAt + busyMs };
      return { busyMs, rss: residentBytes(), ...times };
    };
    if (chunked) message = { type: 'results-lines', id: batch.id, bytes: chunked, ...answer() };
    else {
      const lineByLine = performance.now();
      const items = batch.items ?? linesOf(batch.bytes as Buffer);
      const { outputs, failures } = await runBatch(transform, batch.id, items);
      // Line by line costs at least what `chunk` would: it tells when the batches are quick enough again.
      if (timeoutMs > 0 && chunkOf && batch.bytes)
        learnCost(performance.now() - lineByLine, batch.bytes.length);
      const text =
        batch.joined !== 'no' && failures.length === 0
          ? joined(outputs as string[], items, batch.joined === 'lines')
          : undefined;
      message =
        text === undefined
          ? { type: 'results', id: batch.id, outputs, failures, ...answer() }
          : batch.joined === 'lines'
            ? { type: 'results-lines', id: batch.id, bytes: Buffer.from(text), ...answer() }
            : { type: 'results-text', id: batch.id, text, ...answer() };
    }
    // Start the next batch only once these results are in the pipe: if an item of the next one kills this
    // process (process.exit drops unsent messages), the pool still gets them and knows which batch was running.
    lastSent = performance.now();
    await new Promise<void>((resolve) => send(message, resolve));
  }
  running = false;
}

async function load(spec: string, cwd: string, timeoutMs?: number): Promise<void> {
  try {
    const stage = await loadStage(spec, cwd, { timeoutMs });
    transform = stage.transform;
    chunkOf = stage.chunk;
  } catch (error) {
    send<FromFanOutWorker>({ type: 'load-failed', message: reason(error) }, () => process.exit(2));
    return;
  }
  send<FromFanOutWorker>({ type: 'ready', pid: process.pid });
  void drain();
}

function handle(message: ToFanOutWorker): void {
  switch (message.type) {
    case 'load':
      progressMs = message.progressMs;
      timeoutMs = message.timeoutMs ?? 0;
      void load(message.spec, message.cwd, message.loadTimeoutMs);
      return;
    case 'batch':
      queue.push({
        id: message.id,
        items: message.items,
        sentAt: message.sentAt,
        joined: 'no',
        receivedAt: epochNow(),
      });
      void drain();
      return;
    case 'batch-text':
      queue.push({
        id: message.id,
        items: message.text.split('\n'),
        sentAt: message.sentAt,
        joined: 'text',
        receivedAt: epochNow(),
      });
      void drain();
      return;
    case 'batch-lines':
      queue.push({
        id: message.id,
        bytes: bytesOf(message.bytes),
        rerun: message.rerun,
        sentAt: message.sentAt,
        joined: 'lines',
        receivedAt: epochNow(),
      });
      void drain();
      return;
    case 'stop':
      // Closing the channel ends the process (exitWithParent), exactly as when the pool goes away. Not from
      // inside this 'message' handler: Node 20 crashes if the channel closes while it is still delivering.
      setImmediate(() => {
        if (process.connected) process.disconnect?.();
      });
      return;
    default: {
      const unknown: never = message;
      throw new Error(`fan-out worker: unknown message ${JSON.stringify(unknown)}`);
    }
  }
}

exitWithParent();
// Each message is checked against the protocol before `handle` sees it.
receive(isToFanOutWorker, handle);
