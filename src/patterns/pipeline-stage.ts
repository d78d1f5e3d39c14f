/**
 * One pipeline stage: a process that reads lines on stdin, runs the user's module on each, and writes what it
 * returns on stdout. Its stdin is the previous stage's stdout (a kernel pipe) and its stdout the next stage's
 * stdin, so data never passes through concur; the IPC channel carries only control (src/protocol/pipeline.ts).
 *
 * Lines are handled a chunk at a time: split on \n, keep the partial tail for the next chunk, one write per
 * chunk. While a write waits for the reader, stdin is paused, so a slow consumer slows every producer and no
 * stage holds more than a chunk or two (plus the longest line) in memory.
 *
 * argv: [node, this file, module] (a built-in name or a path, as the user gave it).
 */
import { readFileSync } from 'node:fs';
import { epochNow } from '../clock.js';
import { linesOf, loadStage, type Stage, type StageResult } from '../contract.js';
import type { FromStage, StageStats, ToStage } from '../protocol/pipeline.js';
import { exitWithParent } from '../process/lifeline.js';

const spec = process.argv[2] ?? '';
const stats: StageStats = {
  linesIn: 0,
  linesOut: 0,
  bytesIn: 0,
  bytesOut: 0,
  peakRssKb: 0,
  cpuMs: 0,
  wallMs: 0,
  firstInputMs: -1,
  endOfInputMs: -1,
  startedAt: 0,
};
let stage: Stage;
let startedAt = 0;
let progressTimer: NodeJS.Timeout | undefined;
let waitingForVerdict: ((verdict: 'flush' | 'abort') => void) | undefined;
let finished = false;

// Send to concur if it is still there; `then` runs once the message has left (or at once, if it cannot).
function send(message: FromStage, then?: () => void): void {
  if (process.connected) process.send?.(message, () => then?.());
  else then?.();
}

// Thenables are rare: testing for them keeps the common synchronous stage free of promise overhead.
function isThenable(value: unknown): value is PromiseLike<StageResult> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Thrown inside the line loop: the user's code failed on `line` (1-based), or in flush() when null. */
class StageFailure {
  /** Output already produced from the lines before the failing one: written before reporting. */
  out: string[] = [];
  constructor(
    readonly line: number | null,
    readonly text: string,
    readonly cause: unknown,
  ) {}
}

// Run the module on each line of `lines`, appending its output to `out`. Synchronous until a stage returns
// a promise; from then on the rest of the batch is awaited line by line, in order.
function runLines(lines: readonly string[], out: string[]): void | Promise<void> {
  const transform = stage.transform;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    stats.linesIn++;
    let result: ReturnType<typeof transform>;
    try {
      result = transform(line);
    } catch (error) {
      throw new StageFailure(stats.linesIn, line, error);
    }
    if (typeof result === 'string') out.push(result);
    else if (isThenable(result)) return finishAsync(result, lines, i, out);
    else if (result !== null && result !== undefined) collect(result, line, out);
  }
}

// The slow path, taken only after a stage returned a promise: await each line's result, in order.
async function finishAsync(
  pending: PromiseLike<StageResult>,
  lines: readonly string[],
  index: number,
  out: string[],
): Promise<void> {
  let line = lines[index] as string;
  let result: StageResult | PromiseLike<StageResult> = pending;
  for (let i = index; ;) {
    try {
      collect(await result, line, out);
    } catch (error) {
      throw error instanceof StageFailure ? error : new StageFailure(stats.linesIn, line, error);
    }
    if (++i >= lines.length) return;
    line = lines[i] as string;
    stats.linesIn++;
    try {
      result = stage.transform(line);
    } catch (error) {
      throw new StageFailure(stats.linesIn, line, error);
    }
  }
}

// Append a result's lines to `out`; a result that is not a line is the stage's failure on this line.
function collect(result: StageResult, line: string, out: string[]): void {
  try {
    for (const item of linesOf(result)) out.push(item);
  } catch (error) {
    throw new StageFailure(stats.linesIn, line, error);
  }
}

// Write to stdout; resolve once the kernel has taken it (or at once, when there is room).
function write(data: string | Buffer): void | Promise<void> {
  if (data.length === 0) return;
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  stats.bytesOut += bytes.length;
  if (process.stdout.write(bytes)) return;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

// The lines of `out` as one string, each ending in \n (one write per chunk of input).
function joinLines(out: string[]): string {
  if (out.length === 0) return '';
  stats.linesOut += out.length;
  out.push('');
  return out.join('\n');
}

// True when the module gave back exactly the lines it got: then the input bytes are the output bytes,
// and re-encoding them can be skipped (identity, a filter that keeps everything, a logging stage).
function unchanged(out: readonly string[], lines: readonly string[]): boolean {
  if (out.length !== lines.length) return false;
  for (let i = 0; i < out.length; i++) if (out[i] !== lines[i]) return false;
  return true;
}

// What to write for one chunk of complete lines (`bytes` ends with \n).
function output(out: string[], lines: readonly string[], bytes: Buffer): string | Buffer {
  if (!unchanged(out, lines)) return joinLines(out);
  stats.linesOut += out.length;
  return bytes;
}

/** Read stdin to the end, chunk by chunk, with backpressure. */
async function pump(): Promise<void> {
  const input = process.stdin;
  // Bytes after the last \n seen so far: the start of a line that the next chunks complete. Kept as bytes so
  // a character split across chunks is decoded whole, and joined once, so a 10 MB line costs O(n).
  let carry: Buffer[] = [];
  let busy: Promise<void> | undefined;

  // One chunk: complete lines go to the module now; bytes after the last \n wait for the next chunk.
  const onChunk = (chunk: Buffer): void => {
    if (stats.firstInputMs < 0) stats.firstInputMs = performance.now() - startedAt;
    stats.bytesIn += chunk.length;
    const newline = chunk.lastIndexOf(10);
    if (newline < 0) {
      carry.push(chunk);
      return;
    }
    const head = chunk.subarray(0, newline + 1);
    const bytes = carry.length === 0 ? head : Buffer.concat([...carry, head]);
    carry = newline + 1 < chunk.length ? [chunk.subarray(newline + 1)] : [];
    const lines = bytes.toString('utf8', 0, bytes.length - 1).split('\n');
    const out: string[] = [];
    const keep = (error: unknown): never => {
      if (error instanceof StageFailure) error.out = out;
      throw error;
    };
    let ran: void | Promise<void> = undefined;
    try {
      ran = runLines(lines, out);
    } catch (error) {
      keep(error);
    }
    if (ran === undefined) {
      const wrote = write(output(out, lines, bytes));
      if (wrote) hold(wrote);
    } else {
      hold(ran.then(() => write(output(out, lines, bytes)), keep));
    }
  };

  // Pause reading until `work` is done: this is where backpressure propagates upstream.
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});
  const hold = (work: Promise<void>): void => {
    input.pause();
    busy = work.then(
      () => {
        busy = undefined;
        input.resume();
      },
      (error: unknown) => fail(error),
    );
  };

  await Promise.race([
    failed,
    new Promise<void>((resolve, reject) => {
      input.on('data', (chunk: Buffer) => {
        try {
          onChunk(chunk);
        } catch (error) {
          input.pause();
          reject(error);
        }
      });
      input.once('end', resolve);
      input.once('error', reject);
    }),
  ]);
  await Promise.race([failed, busy]);
  stats.endOfInputMs = performance.now() - startedAt;

  // End of input: flush only if concur says the stage upstream finished cleanly.
  const verdict = await new Promise<'flush' | 'abort'>((resolve) => {
    waitingForVerdict = resolve;
    send({ type: 'eof' });
  });
  if (verdict === 'abort') return;
  // Bytes after the last newline are a last line of their own (a truncated character becomes U+FFFD).
  const tail = Buffer.concat(carry).toString('utf8');
  const last: string[] = [];
  if (tail.length > 0) await runLines([tail], last);
  if (stage.flush) {
    let flushed: StageResult;
    try {
      flushed = await stage.flush();
      for (const item of linesOf(flushed)) last.push(item);
    } catch (error) {
      throw new StageFailure(null, '', error);
    }
  }
  // A last line without a newline stays without one: what follows from it is newline-separated only.
  if (tail.length > 0) {
    stats.linesOut += last.length;
    await write(last.join('\n'));
  } else await write(joinLines(last));
}

// VmHWM is the kernel's own high-water mark of resident memory: the figure the bench compares at 5 and 500 MB.
function memoryPeakKb(): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

// Everything the stage measured, completed with what only the end can tell (peak memory, CPU, wall time).
function finalStats(): StageStats {
  const cpu = process.cpuUsage();
  return {
    ...stats,
    peakRssKb: memoryPeakKb(),
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs: performance.now() - startedAt,
  };
}

// Resolve when everything written has reached the kernel (process.exit would drop a queued write).
function drained(): Promise<void> {
  if (process.stdout.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

// Report, then exit once the report has left: closing the channel first would drop it.
function exitWith(code: number, message: FromStage): void {
  if (finished) return;
  finished = true;
  clearInterval(progressTimer);
  send(message, () => process.exit(code));
}

// Keep what the lines before the failure produced, then report the failing line and exit 1.
let failing = false;
function failWith(error: unknown): void {
  if (finished || failing) return;
  failing = true;
  const failure = error instanceof StageFailure ? error : new StageFailure(stats.linesIn || null, '', error);
  const cause = failure.cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const excerpt = failure.text.length > 60 ? `${failure.text.slice(0, 57)}...` : failure.text;
  const report: FromStage = {
    type: 'failed',
    line: failure.line,
    excerpt,
    message: message.split('\n')[0] ?? '',
  };
  void Promise.resolve(write(joinLines(failure.out)))
    .then(drained)
    .then(() => exitWith(1, report));
}

// `start` arrives only once every stage has loaded its module: until then stdin is not touched, so a broken
// module further down the pipeline costs no input.
function start(progressMs: number | undefined): void {
  startedAt = performance.now();
  stats.startedAt = epochNow();
  if (progressMs)
    progressTimer = setInterval(
      () => send({ type: 'progress', linesIn: stats.linesIn, linesOut: stats.linesOut }),
      progressMs,
    );
  pump()
    .then(drained)
    .then(() => exitWith(0, { type: 'done', stats: finalStats() }), failWith);
}

// Every message concur can send; the exhaustive switch makes a new message type a compile error here.
function handle(message: ToStage): void {
  switch (message.type) {
    case 'start':
      start(message.progressMs);
      return;
    case 'flush':
    case 'abort':
      waitingForVerdict?.(message.type);
      waitingForVerdict = undefined;
      return;
    default: {
      const unknown: never = message;
      throw new Error(`pipeline stage: unknown message ${JSON.stringify(unknown)}`);
    }
  }
}

exitWithParent();
// Ctrl-C reaches the whole process group; concur decides what happens to its stages (it stops them).
process.on('SIGINT', () => {});
// The reader of our stdout went away (`| head -1`, or the next stage died): tell concur and stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') exitWith(0, { type: 'output-closed' });
  else failWith(error);
});
// A throw from a timer or callback inside the user's module is still that stage's failure.
process.on('uncaughtException', failWith);
process.on('unhandledRejection', failWith);
process.on('message', (message) => handle(message as ToStage));

try {
  stage = await loadStage(spec);
  send({ type: 'ready', pid: process.pid });
} catch (error) {
  exitWith(2, { type: 'load-failed', message: error instanceof Error ? error.message : String(error) });
}
