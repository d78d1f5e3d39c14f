/**
 * Demo: a pipeline of three stage processes (words → lower → tally) over a built-in text, narrated.
 * Shows each stage's PID, its items in and out while it runs and at the end, and that the three stages work
 * at the same time: each one starts on its input long before the stage before it has finished.
 * Try: concur demo pipeline
 */
import { Readable, Writable } from 'node:stream';
import { stageLabel } from '../../modules/contract.js';
import { backpressureStep } from './backpressure.js';
import { runPipeline, type StageInfo } from './pipeline.js';
import type { FromStage, ToStage } from './protocol.js';
import type { DemoContext } from '../demo-context.js';

// The built-in text: what this pattern is about, repeated so the stages have enough to chew on.
const TEXT = [
  'A pipeline is a chain of black boxes that share nothing and talk only in messages.',
  'Each stage is a process: it reads lines from the stage before and writes lines to the stage after.',
  'The kernel pipe between two stages holds a little data; when it is full, the writer waits.',
  'So a slow stage slows the stages before it, and no stage has to hold the whole stream.',
  '',
  'Messages are the design: the data flows on pipes, the control flows on a separate channel.',
  'When the input ends, each stage flushes what it has gathered, then exits, and the next one follows.',
];
const REPEAT = 12_000;
// Fewer lines for the slow pipeline of step 5, so it takes seconds, not minutes.
const SLOW_REPEAT = 1_500;
const STAGES = ['words', 'lower', 'tally'];

export default async function pipelineDemo(context: DemoContext): Promise<number> {
  const { events } = context;
  const me = process.pid;
  context.step('1. Three stages, three processes');
  context.say(`parent ${me} forks one process per stage and joins them with OS pipes:`);
  context.say(
    `  input (${(TEXT.length * REPEAT).toLocaleString('en')} lines) → ${STAGES.join(' → ')} → output`,
  );

  const started = performance.now();
  const seconds = (): string => ((performance.now() - started) / 1000).toFixed(2);
  const counts = STAGES.map(() => ({ in: 0, out: 0 }));
  const active = STAGES.map(() => ({ from: -1, to: -1 }));
  let snapshots = 0;
  let overlapping = 0;
  let lastPrinted = 0;

  const onMessage = (
    stage: StageInfo,
    direction: 'sent' | 'received',
    message: ToStage | FromStage,
  ): void => {
    // The pipeline records its own events (spawns, messages, each stage's streaming span); this narrates.
    if (direction === 'sent') return;
    const now = performance.now() - started;
    const window = active[stage.index];
    const count = counts[stage.index];
    if (!window || !count) return;
    switch (message.type) {
      case 'ready':
        context.say(`  ${stageLabel(stage)} is pid ${stage.pid}: ready`);
        return;
      case 'progress':
        count.in = message.linesIn;
        count.out = message.linesOut;
        if (message.linesIn > 0 && window.from < 0) window.from = now;
        if (stage.index === STAGES.length - 1) snapshot(now);
        return;
      case 'eof':
        window.to = now;
        return;
      default:
        return;
    }
  };

  // One line of counts for all stages, at most every 200 ms; and whether all of them were mid-stream.
  const snapshot = (now: number): void => {
    snapshots++;
    const busy = active.every((w) => w.from >= 0 && w.to < 0);
    if (busy) overlapping++;
    if (now - lastPrinted < 200) return;
    lastPrinted = now;
    const cells = STAGES.map((name, i) => `${name} ${counts[i]?.in ?? 0}→${counts[i]?.out ?? 0}`);
    context.say(`  t=${seconds()} s  ${cells.join('  |  ')}${busy ? '   (all three busy)' : ''}`);
  };

  context.step('2. Streaming: lines in → lines out, per stage, while it runs');
  context.say('  (each stage reports its own counts every 50 ms, so a row mixes reports a few ms apart)');
  const output: Buffer[] = [];
  const result = await runPipeline(STAGES, {
    input: Readable.from(textLines()),
    output: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        output.push(chunk);
        callback();
      },
    }),
    progressMs: 50,
    onMessage,
  });

  context.step('3. What each stage did');
  for (const stage of result.stages) {
    const s = stage.stats;
    if (!s) continue;
    const window = active[stage.index];
    context.say(
      `  ${stageLabel(stage).padEnd(17)} pid ${stage.pid}: ${s.linesIn.toLocaleString('en')} lines in, ` +
        `${s.linesOut.toLocaleString('en')} out; reading from ${fmt(window?.from)} to ${fmt(window?.to)}; ` +
        `peak memory ${(s.peakRssKb / 1024).toFixed(0)} MiB`,
    );
    events.emit('parent', me, 'note', { stage: stageLabel(stage), pid: stage.pid, ...s });
  }
  const start = Math.max(...active.map((w) => w.from));
  const end = Math.min(...active.map((w) => w.to));
  if (start >= 0 && end > start)
    context.say(
      `  all three stages were reading at the same time from ${fmt(start)} to ${fmt(end)}` +
        ` (${overlapping} of ${snapshots} progress reports caught all three mid-stream).`,
    );
  else context.say('  the input was too small for the stages to overlap visibly this time.');
  context.say('  tally could only answer at the end (flush); words and lower passed lines on as they came.');

  context.step('4. The ten most frequent words (stdout)');
  const lines = Buffer.concat(output).toString('utf8').split('\n').filter(Boolean);
  for (const line of lines.slice(0, 10)) {
    const [count, word] = line.split('\t');
    await context.result(line, { word, count: Number(count) });
  }

  await backpressureStep(context, ['words', 'lower'], () => textLines(SLOW_REPEAT));
  return 0;
}

function* textLines(repeat = REPEAT): Generator<string> {
  const block = `${TEXT.join('\n')}\n`;
  for (let i = 0; i < repeat; i++) yield block;
}

function fmt(ms: number | undefined): string {
  return ms === undefined || ms < 0 ? '?' : `${(ms / 1000).toFixed(2)} s`;
}
