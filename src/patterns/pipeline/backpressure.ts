/**
 * The pipeline demo's backpressure step: the same stages with a slow last one. Each OS pipe holds only a
 * little data (64 KiB on Linux); once it is full, the stage writing into it waits, stops reading its own
 * input, and the pipe before it fills in turn. So the whole chain runs at the pace of its slowest stage,
 * and no stage has to hold the stream in memory.
 * Use it to see why a pipeline of processes needs no queue of its own: the pipes are the bound.
 * Try: concur demo pipeline
 */
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runPipeline, type StageInfo } from './pipeline.js';
import type { FromStage, ToStage } from './protocol.js';
import type { DemoContext } from '../demo-context.js';

const slowCountPath = fileURLToPath(new URL('./slow-count.stage.js', import.meta.url));

/** What the step measured. */
export interface BackpressureRun {
  /** How long each stage spent reading its input: from its first line read to the end of its input (ms). */
  readingMs: number[];
  /** Progress reports in which a stage that had not finished read no new line: it was waiting. */
  stalledReports: number[];
  /** Lines the first stage wrote in all. */
  total: number;
  /** What the slow stage counted. */
  counted: string;
}

/**
 * Run `first → second → last` over `input` lines (last: slow-count unless given) and measure how the first
 * stages were held back.
 */
export async function runWithSlowLastStage(
  stages: [string, string],
  input: () => Iterable<string>,
  last = slowCountPath,
): Promise<BackpressureRun> {
  const started = performance.now();
  const counts = [0, 1, 2].map(() => ({ in: 0, out: 0, done: false, from: -1 }));
  const run: BackpressureRun = {
    readingMs: [0, 0, 0],
    stalledReports: [0, 0, 0],
    total: 0,
    counted: '',
  };
  const onMessage = (stage: StageInfo, direction: 'sent' | 'received', message: ToStage | FromStage) => {
    if (direction === 'sent') return;
    const count = counts[stage.index];
    if (!count) return;
    if (message.type === 'eof') {
      count.done = true;
      run.readingMs[stage.index] = performance.now() - started - Math.max(0, count.from);
    }
    if (message.type !== 'progress') return;
    if (!count.done && message.linesIn === count.in && count.in > 0)
      run.stalledReports[stage.index] = (run.stalledReports[stage.index] ?? 0) + 1;
    if (count.from < 0 && message.linesIn > 0) count.from = performance.now() - started;
    count.in = message.linesIn;
    count.out = message.linesOut;
  };
  const output: Buffer[] = [];
  const result = await runPipeline([...stages, last], {
    input: Readable.from(input()),
    output: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        output.push(chunk);
        callback();
      },
    }),
    progressMs: 50,
    onMessage,
  });
  run.total = result.stages[0]?.stats?.linesOut ?? 0;
  run.counted = Buffer.concat(output).toString('utf8').trim();
  return run;
}

/** Narrate the step: when the first stage finished reading, with tally last and with the slow stage last. */
export async function backpressureStep(
  context: DemoContext,
  stages: [string, string],
  input: () => Iterable<string>,
): Promise<void> {
  context.step('5. Backpressure: the same pipeline with a slow last stage');
  context.say(`  ${stages.join(' → ')} → slow-count, where slow-count spends about 10 µs on each line.`);
  const fast = await runWithSlowLastStage(stages, input, 'tally');
  const run = await runWithSlowLastStage(stages, input);
  const fastMs = fast.readingMs[0];
  const s = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(2);
  context.say(
    `  ${stages[0]} took ${s(run.readingMs[0])} s to read its input (${s(fastMs)} s with tally last), ` +
      `${stages[1]} ${s(run.readingMs[1])} s, slow-count ${s(run.readingMs[2])} s: the first stages were held to the pace of the last.`,
  );
  context.say(
    `  progress reports in which a stage read nothing new, waiting on a full pipe: ${stages[0]} ${run.stalledReports[0]}, ` +
      `${stages[1]} ${run.stalledReports[1]}.`,
  );
  context.say(
    `  nothing was lost: ${run.total.toLocaleString('en')} lines written by ${stages[0]}, ${run.counted} counted.`,
  );
  context.say('  A full pipe makes its writer wait; the writer stops reading, and its own input pipe fills:');
  context.say('  the earlier stages pause instead of piling the stream up in memory. The chain runs at the');
  context.say('  pace of its slowest stage, and memory stays bounded by the pipes, not by the stream.');
}
