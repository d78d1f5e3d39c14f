/**
 * Stage modules run as a push pipeline of coroutines, all in one process.
 *
 * The same stage modules `concur pipeline` runs one per process (src/modules/contract.ts) are here chained as
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
 * Try: concur demo coroutine
 */
import { isThenable, linesOf, StageError, type Stage, type StageResult } from '../../modules/contract.js';
import { LineDecoder } from '../../modules/lines.js';

/** What pushing one line answers: nothing when the line is fully handled, or a promise of that. */
export type Pending = PromiseLike<unknown> | undefined;

/** A coroutine receiving lines; `next(line).value` is its Pending. */
export type LineCoroutine = Generator<Pending, never, string>;

/** Lines each stage received and emitted (the last line without a newline included). */
export interface StageCounts {
  linesIn: number;
  linesOut: number;
}

/** A running chain of stage coroutines: push lines in, then end it; output goes to `write`. */
export interface StageChain {
  /** Push one whole input line (one that ended with \n) through every stage. Await the answer when it is a promise. */
  push(line: string): Pending;
  /** Write out what the last stage produced so far (call between input chunks, so output streams). */
  drain(): Pending;
  /**
   * End of input. `last` is the input's last line if it had no \n. Each stage in turn runs on its own last
   * line (if any), then flush(); what that yields reaches the next stage as `concur pipeline` would deliver
   * it through a pipe: all but the last as whole lines, the last as a line without \n (none if it is empty).
   */
  end(last?: string): Promise<void>;
  /** Per stage, in order. */
  readonly counts: readonly StageCounts[];
}

/** Where output chunks go; answer a promise while the destination is full (backpressure). */
export type ChunkWriter = (chunk: string) => Pending;

/** Build the chain: one primed coroutine per stage, ending in a sink that buffers output for `write`. */
export function chainStages(
  stages: readonly Stage[],
  write: ChunkWriter,
  highWater = 1 << 16,
  counts: StageCounts[] = [],
): StageChain {
  const out = { buffer: '' };
  const sink = prime(sinkCoroutine(out, write, highWater));
  for (let index = 0; index < stages.length; index++) counts[index] = { linesIn: 0, linesOut: 0 };
  const coroutines: LineCoroutine[] = [];
  let target = sink;
  for (let index = stages.length - 1; index >= 0; index--) {
    target = prime(stageCoroutine(stages[index]!, index, counts[index]!, target));
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
    counts,
    async end(last) {
      for (let index = 0; index < stages.length; index++) {
        const stage = stages[index]!;
        const count = counts[index]!;
        const next = coroutines[index + 1] ?? sink;
        const ref = { index, name: stage.name };
        const lines: string[] = [];
        if (last !== undefined) {
          const number = ++count.linesIn;
          try {
            lines.push(...linesOf(await stage.transform(last)));
          } catch (error) {
            throw StageError.failed(ref, number, last, error);
          }
        }
        try {
          lines.push(...linesOf(stage.flush ? await stage.flush() : undefined));
        } catch (error) {
          throw StageError.failed(ref, null, '', error);
        }
        count.linesOut += lines.length;
        // After a last line without \n, the lines are \n-separated with none after the last: downstream sees
        // the last one as its own last line, or nothing if it is empty.
        last = last === undefined ? undefined : lines.pop() || undefined;
        await forward(lines, 0, next);
      }
      if (last !== undefined) out.buffer += last;
      await drain();
    },
  };
}

function prime(coroutine: LineCoroutine): LineCoroutine {
  coroutine.next('');
  return coroutine;
}

// One stage: receive a line, run the module on it, push each output line on. Yields what it is waiting for.
function* stageCoroutine(
  stage: Stage,
  index: number,
  count: StageCounts,
  target: LineCoroutine,
): LineCoroutine {
  const { transform } = stage;
  const ref = { index, name: stage.name };
  let pending: Pending;
  for (;;) {
    const line: string = yield pending;
    const number = ++count.linesIn;
    let result: ReturnType<typeof transform>;
    try {
      result = transform(line);
    } catch (error) {
      throw StageError.failed(ref, number, line, error);
    }
    // The fast path: one line in, one line out, synchronously.
    if (typeof result === 'string') {
      count.linesOut++;
      pending = target.next(result).value;
    } else if (isThenable(result)) {
      pending = Promise.resolve(result).then(
        (value) => forward(checked(value, number, line), 0, target),
        (error: unknown) => {
          throw error instanceof StageError ? error : StageError.failed(ref, number, line, error);
        },
      );
    } else pending = forward(checked(result, number, line), 0, target);
  }

  // The lines of a stage's answer (counted), or a StageError naming the line when it has the wrong shape.
  function checked(result: StageResult, number: number, line: string): readonly string[] {
    try {
      const lines = linesOf(result);
      count.linesOut += lines.length;
      return lines;
    } catch (error) {
      throw StageError.failed(ref, number, line, error);
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
 * Read `input` as lines and run them through `stages`, writing the output with `write`: the same lines, the
 * same bytes and the same errors as `concur pipeline` with these stages (src/modules/lines.ts decodes for both;
 * a last line without \n is handled as `StageChain.end` says). Resolves with each stage's counts, kept in
 * `counts` as the run goes (so they can be read after a failure too); rejects with a StageError if a stage
 * fails, after writing the output produced before the failure.
 */
export async function runStages(
  input: AsyncIterable<string | Buffer>,
  stages: readonly Stage[],
  write: ChunkWriter,
  counts: StageCounts[] = [],
): Promise<StageCounts[]> {
  const chain = chainStages(stages, write, undefined, counts);
  const lines = new LineDecoder();
  try {
    for await (const chunk of input) {
      lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      while (lines.nextBatch()) {
        for (let line = lines.next(); line !== undefined; line = lines.next()) {
          const pending = chain.push(line);
          if (pending) await pending;
        }
      }
      await chain.drain();
    }
    await chain.end(lines.end());
  } catch (error) {
    await chain.drain();
    throw error;
  }
  return counts;
}
