/**
 * Stage modules run as a push pipeline of coroutines, all in one process.
 *
 * The same stage modules `concur pipeline` runs one per process (src/contract.ts) are here chained as
 * generator coroutines: the reader pushes each line into the first with `next(line)`, each pushes its
 * output into the next, and the last appends to an output buffer. Nothing is copied between processes and
 * a synchronous stage costs one generator resume per line, with no promise. A stage that answers with a
 * promise yields that promise back up the chain (`yield pending`), and the reader waits for it before it
 * pushes the next line: order is kept and backpressure (a full stdout) flows up the same way.
 *
 * Use it when the stages are cheap and the cost of moving lines between processes would dominate; use
 * `concur pipeline` when stages are CPU-heavy and can run in parallel on several cores.
 * From Beazley's copipe.py ("the coroutine is the implementation; the environment is whatever you choose").
 * Try: concur coroutine --stage upper < file.txt
 */
import { ConcurError, ExitCode } from '../errors.js';
import { isThenable, linesOf, type Stage, type StageResult } from '../contract.js';

/** What pushing one line answers: nothing when the line is fully handled, or a promise of that. */
export type Pending = PromiseLike<unknown> | undefined;

/** A coroutine receiving lines; `next(line).value` is its Pending. */
export type LineCoroutine = Generator<Pending, never, string>;

/** A stage failed on a line (or in flush): names the stage, the line and its text, exits 1. */
export class StageError extends ConcurError {
  constructor(
    readonly stage: number,
    readonly stageName: string,
    readonly line: number | 'flush',
    text: string,
    cause: unknown,
  ) {
    const excerpt = text.length > 60 ? `${text.slice(0, 57)}...` : text;
    const where = line === 'flush' ? 'in flush()' : `on line ${line} (${JSON.stringify(excerpt)})`;
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `stage ${stage} (${stageName}) failed ${where}: ${reason.split('\n')[0]}`,
      ExitCode.failure,
      'ESTAGE',
      {
        cause,
      },
    );
  }
}

/** A running chain of stage coroutines: push lines in, then end it; output goes to `write`. */
export interface StageChain {
  /** Push one input line through every stage. Await the answer when it is a promise. */
  push(line: string): Pending;
  /** Write out what the last stage produced so far (call between input chunks, so output streams). */
  drain(): Pending;
  /** End of input: flush each stage in order (its output goes through the stages after it), then drain. */
  end(): Promise<void>;
}

/** Where output chunks go; answer a promise while the destination is full (backpressure). */
export type ChunkWriter = (chunk: string) => Pending;

/** Build the chain: one primed coroutine per stage, ending in a sink that buffers output for `write`. */
export function chainStages(stages: readonly Stage[], write: ChunkWriter, highWater = 1 << 16): StageChain {
  const out = { buffer: '' };
  const sink = prime(sinkCoroutine(out, write, highWater));
  const coroutines: LineCoroutine[] = [];
  let target = sink;
  for (let index = stages.length - 1; index >= 0; index--) {
    target = prime(stageCoroutine(stages[index]!, index + 1, target));
    coroutines.unshift(target);
  }
  const head = target;
  const drain = (): Pending => {
    if (out.buffer === '') return undefined;
    const chunk = out.buffer;
    out.buffer = '';
    return write(chunk);
  };
  return {
    push: (line) => head.next(line).value,
    drain,
    async end() {
      for (let index = 0; index < stages.length; index++) {
        const stage = stages[index]!;
        const next = coroutines[index + 1] ?? sink;
        let lines: readonly string[];
        try {
          lines = linesOf(stage.flush ? await stage.flush() : undefined);
        } catch (error) {
          throw new StageError(index + 1, stage.name, 'flush', '', error);
        }
        await forward(lines, 0, next);
      }
      await drain();
    },
  };
}

function prime(coroutine: LineCoroutine): LineCoroutine {
  coroutine.next('');
  return coroutine;
}

// One stage: receive a line, run the module on it, push each output line on. Yields what it is waiting for.
function* stageCoroutine(stage: Stage, number: number, target: LineCoroutine): LineCoroutine {
  const { transform, name } = stage;
  let pending: Pending;
  let lineNumber = 0;
  let text = '';
  const fail = (error: unknown, line: number, failed = text): never => {
    throw error instanceof StageError ? error : new StageError(number, name, line, failed, error);
  };
  for (;;) {
    const line: string = yield pending;
    lineNumber++;
    text = line;
    let result: ReturnType<typeof transform>;
    try {
      result = transform(line);
    } catch (error) {
      fail(error, lineNumber);
    }
    // The fast path: one line in, one line out, synchronously.
    if (typeof result === 'string') pending = target.next(result).value;
    else if (isThenable(result)) {
      const at = lineNumber;
      pending = Promise.resolve(result).then(
        (value) => forward(checked(value, at, line), 0, target),
        (error: unknown) => fail(error, at, line),
      );
    } else pending = forward(checked(result, lineNumber), 0, target);
  }

  // The lines of a stage's answer, or a StageError naming the line when the answer has the wrong shape.
  function checked(result: StageResult, line: number, failed = text): readonly string[] {
    try {
      return linesOf(result);
    } catch (error) {
      return fail(error, line, failed);
    }
  }
}

// Push lines[from...] into target, pausing whenever it answers with a promise.
function forward(lines: readonly string[], from: number, target: LineCoroutine): Pending {
  for (let index = from; index < lines.length; index++) {
    const pending = target.next(lines[index]!).value;
    if (pending) return pending.then(() => forward(lines, index + 1, target));
  }
  return undefined;
}

// The end of the chain: append each line and its newline; hand the buffer to `write` when it is full.
function* sinkCoroutine(out: { buffer: string }, write: ChunkWriter, highWater: number): LineCoroutine {
  let pending: Pending;
  for (;;) {
    const line: string = yield pending;
    out.buffer += line + '\n';
    pending = undefined;
    if (out.buffer.length >= highWater) {
      const chunk = out.buffer;
      out.buffer = '';
      pending = write(chunk);
    }
  }
}

/**
 * Read `input` as lines (split on "\n"; a last line without a newline still counts) and run them through
 * `stages`, writing each output line and a "\n" with `write`. Rejects with a StageError if a stage fails;
 * output produced before the failure is written first.
 */
export async function runStages(
  input: AsyncIterable<string | Buffer>,
  stages: readonly Stage[],
  write: ChunkWriter,
): Promise<void> {
  const chain = chainStages(stages, write);
  const decoder = new TextDecoder();
  // The start of a line not finished yet, in pieces: a 10 MB line is joined once, not once per chunk.
  let pieces: string[] = [];
  try {
    for await (const chunk of input) {
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      let end = text.indexOf('\n');
      if (end === -1) {
        if (text !== '') pieces.push(text);
        continue;
      }
      let start = 0;
      if (pieces.length > 0) {
        pieces.push(text.slice(0, end));
        const pending = chain.push(pieces.join(''));
        pieces = [];
        start = end + 1;
        end = text.indexOf('\n', start);
        if (pending) await pending;
      }
      for (; end !== -1; end = text.indexOf('\n', start)) {
        const pending = chain.push(text.slice(start, end));
        start = end + 1;
        if (pending) await pending;
      }
      if (start < text.length) pieces.push(text.slice(start));
      await chain.drain();
    }
    const last = pieces.join('') + decoder.decode();
    if (last !== '') {
      const pending = chain.push(last);
      if (pending) await pending;
    }
    await chain.end();
  } catch (error) {
    await chain.drain();
    throw error;
  }
}
