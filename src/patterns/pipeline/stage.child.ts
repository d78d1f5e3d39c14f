/**
 * One pipeline stage: a process that reads lines on stdin, runs the user's module on each, and writes what it
 * returns on stdout. Its stdin is the previous stage's stdout (a kernel pipe) and its stdout the next stage's
 * stdin, so data never passes through concur; the IPC channel carries only control (src/patterns/pipeline/protocol.ts).
 *
 * Lines are handled a chunk at a time (src/modules/lines.ts splits and decodes them, as for `concur coroutine`), with
 * one write per chunk; lines the module returns unchanged go out as their own input bytes. A module that exports
 * `chunk` gets whole batches as bytes instead, with no string per line (stage-bytes.ts). While a write waits
 * for the reader, stdin is paused, so a slow consumer slows every producer and no stage holds more than a
 * chunk or two (plus the longest line) in memory.
 *
 * stdout is the data pipe and nothing else: the user's console.* and process.stdout go to stderr.
 *
 * argv: [node, this file, module] (a built-in name or a path, as the user gave it).
 * Try: concur demo pipeline
 */
import { createReadStream, fstatSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { epochNow } from '../../trace/clock.js';
import { isThenable, linesOf, loadStage, type Stage, type StageResult } from '../../modules/contract.js';
import { LineDecoder } from '../../modules/lines.js';
import { isToStage, type FromStage, type StageStats, type ToStage } from './protocol.js';
import { exitWithParent } from '../../process/lifeline.js';
import { receive, send } from '../../process/messages.js';
import { systemReason } from '../../process/errors.js';
import { dataOut, isolateUserOutput } from '../../terminal/streams.js';
import { ChunkOutput, flushed, write } from './stage-output.js';
import { runBytes } from './stage-bytes.js';

// Every message to concur is one of FromStage.
const tell: (message: FromStage, then?: () => void) => void = send;

// Taken before the user's module can print: from here on, its console.* and process.stdout reach stderr.
const out = dataOut;
isolateUserOutput();

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

// A stage ends when its input does. User code that calls process.exit() would end it early and silently,
// losing its buffered lines: instead the call throws, and is that stage's failure on the line it was handling,
// like any other throw. concur's own exits (and the lifeline's, once the parent has gone) are real.
const exit = process.exit.bind(process);
process.exit = ((code?: number | string | null) => {
  if (finished || !process.connected) return exit(code);
  throw new Error(
    `it called process.exit(${code ?? ''}) before its input ended (return null to drop a line)`,
  );
}) as typeof process.exit;

/** Thrown inside the line loop: the user's code failed on `line` (1-based), or in flush() when null. */
class StageFailure {
  constructor(
    readonly line: number | null,
    readonly text: string,
    readonly cause: unknown,
  ) {}
}

const failure = (line: number, text: string, cause: unknown): StageFailure =>
  new StageFailure(line, text, cause);

/** Thrown when reading stdin fails: the input's failure, not the stage's code. */
class InputFailure {
  constructor(readonly cause: unknown) {}
}

const lines = new LineDecoder();

const batch = new ChunkOutput(lines, stats);

// Run the module on each line of the current batch. Synchronous while the module answers synchronously;
// the first promise turns the rest of the batch into an awaited loop, in order.
function runBatch(): void | Promise<void> {
  const transform = stage.transform;
  for (let line = lines.next(); line !== undefined; line = lines.next()) {
    stats.linesIn++;
    let result: ReturnType<typeof transform>;
    try {
      result = transform(line);
    } catch (error) {
      throw new StageFailure(stats.linesIn, line, error);
    }
    if (result === line) batch.keep(line);
    else if (typeof result === 'string') batch.replace([result]);
    else if (isThenable(result)) return resume(result, line);
    else batch.replace(checked(result, line));
  }
}

// The slow path: await one line's answer, then go on with the batch.
async function resume(pending: PromiseLike<StageResult>, line: string): Promise<void> {
  let result: StageResult;
  try {
    result = await pending;
  } catch (error) {
    throw new StageFailure(stats.linesIn, line, error);
  }
  if (result === line) batch.keep(line);
  else batch.replace(checked(result, line));
  return runBatch();
}

// The lines of an answer; an answer that is not a line is the stage's failure on this line.
function checked(result: StageResult, line: string): readonly string[] {
  try {
    return linesOf(result);
  } catch (error) {
    throw new StageFailure(stats.linesIn, line, error);
  }
}

// A file on stdin (`< file`) is read 128 KiB at a time, twice what Node's stdin stream reads per trip to the
// thread pool; a pipe or socket gives what the kernel holds, and is read as Node's stdin does. Not more: the
// strings made from a bigger batch are too big for V8's young generation, and memory would grow with input.
// A directory is read the same way, so that its EISDIR is an error (Node's stdin would read it as empty).
function openInput(): Readable {
  try {
    const stat = fstatSync(0);
    if (stat.isFile() || stat.isDirectory())
      return createReadStream('', { fd: 0, highWaterMark: 1 << 17, autoClose: false });
  } catch {
    // not a file we can stat: read it as a stream
  }
  return process.stdin;
}

/** Read stdin to the end, batch by batch, with backpressure; then the last line and flush(). */
async function pump(): Promise<void> {
  const input = openInput();
  const asBytes = stage.chunk;
  let busy: Promise<void> | undefined;

  // One chunk: the lines it completes go to the module now; bytes after its last \n wait for the next chunk.
  const onChunk = (chunk: Buffer): void => {
    if (stats.firstInputMs < 0) stats.firstInputMs = performance.now() - startedAt;
    stats.bytesIn += chunk.length;
    lines.push(chunk);
    // Every batch of the chunk, then one write: synchronous unless the module answers with a promise.
    const runChunk = (): void | Promise<void> => {
      while (lines.nextBatch(asBytes !== undefined)) {
        if (!lines.decoded && asBytes) {
          const ran = runBytes(asBytes, lines.bytes, stats, batch, failure);
          if (ran) return ran.then(runChunk);
          continue;
        }
        batch.begin();
        const ran = runBatch();
        if (ran)
          return ran.then(() => {
            batch.finish();
            return runChunk();
          });
        batch.finish();
      }
    };
    const ran = runChunk();
    if (ran === undefined) {
      const wrote = write(out, stats, batch.take());
      if (wrote) hold(wrote);
    } else hold(ran.then(() => write(out, stats, batch.take())));
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
      input.once('error', (error) => reject(new InputFailure(error)));
    }),
  ]);
  await Promise.race([failed, busy]);
  stats.endOfInputMs = performance.now() - startedAt;

  // End of input: flush only if concur says the stage upstream finished cleanly.
  const verdict = await new Promise<'flush' | 'abort'>((resolve) => {
    waitingForVerdict = resolve;
    tell({ type: 'eof' });
  });
  if (verdict === 'abort') return;
  // Bytes after the last newline are a last line of their own: what comes of it, and flush()'s lines after
  // it, are separated by \n with none after the last (the input did not end with one either).
  const tail = lines.end();
  const last: string[] = [];
  if (tail !== undefined) {
    stats.linesIn++;
    let result: StageResult;
    try {
      result = await stage.transform(tail);
    } catch (error) {
      throw new StageFailure(stats.linesIn, tail, error);
    }
    last.push(...checked(result, tail));
  }
  if (stage.flush) {
    try {
      last.push(...linesOf(await stage.flush()));
    } catch (error) {
      throw new StageFailure(null, '', error);
    }
  }
  stats.linesOut += last.length;
  if (tail === undefined) last.push('');
  await write(out, stats, [last.join('\n')]);
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

// Report, then exit once the report has left: closing the channel first would drop it.
function exitWith(code: number, message: FromStage): void {
  if (finished) return;
  finished = true;
  clearInterval(progressTimer);
  tell(message, () => exit(code));
}

// Keep what the lines before the failure produced, then report the failing line and exit 1.
let failing = false;
function failWith(error: unknown): void {
  if (finished || failing) return;
  failing = true;
  if (error instanceof InputFailure) {
    exitWith(1, { type: 'input-failed', message: systemReason(error.cause) });
    return;
  }
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
  batch.finish(false);
  void Promise.resolve(write(out, stats, batch.take()))
    .then(() => flushed(out))
    .then(() => exitWith(1, report));
}

// `start` arrives only once every stage has loaded its module: until then stdin is not touched, so a broken
// module further down the pipeline costs no input.
function start(progressMs: number | undefined): void {
  startedAt = performance.now();
  stats.startedAt = epochNow();
  if (progressMs)
    progressTimer = setInterval(
      () => tell({ type: 'progress', linesIn: stats.linesIn, linesOut: stats.linesOut }),
      progressMs,
    );
  pump()
    .then(() => flushed(out))
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
// Any other write error (a full disk, EIO, EBADF) is the output's failure, never this stage's code's.
out.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') exitWith(0, { type: 'output-closed' });
  else exitWith(1, { type: 'output-failed', message: systemReason(error) });
});
// A throw from a timer or callback inside the user's module is still that stage's failure.
process.on('uncaughtException', failWith);
process.on('unhandledRejection', failWith);
receive(isToStage, handle);

try {
  // concur bounds the loading of every stage from outside (--load-timeout), which also stops an endless loop.
  stage = await loadStage(spec, process.cwd(), { timeoutMs: 0 });
  tell({ type: 'ready', pid: process.pid });
} catch (error) {
  exitWith(2, { type: 'load-failed', message: error instanceof Error ? error.message : String(error) });
}
