/**
 * Demo: many waits overlapped on one event loop; then the same loop blocked by CPU work, and how late its
 * timers fire; then a spinner child, whose timer keeps time while the parent is blocked.
 * Try: concur demo async
 */
import { exitOnSignals } from '../../process/children.js';
import { measureLateness, overlapWaits, quantile, type LatenessRun } from './event-loop.js';
import { SpinnerProcess } from '../spinner/spinner.js';
import { seededRandom } from '../../work/random.js';
import { isPrime } from '../../work/primes.js';
import type { DemoContext } from '../demo-context.js';

export default async function asyncDemo(context: DemoContext): Promise<number> {
  const waits = (context.options.waits ?? 1000) as number;
  const blockMs = (context.options.block ?? 500) as number;
  const random = seededRandom((context.options.seed ?? 1) as number);
  const { events } = context;
  const me = process.pid;
  exitOnSignals();

  context.step(`1. ${waits} waits at once on one event loop`);
  const durations = Array.from({ length: waits }, () => 50 + Math.round(150 * random()));
  const reads = Math.min(20, waits);
  context.say(
    `  --seed ${String(context.options.seed ?? 1)} fixes each timer's duration (so the total of all the waits is the same every`,
  );
  context.say('  run); it cannot fix how late the timers fire, which depends on how busy the machine is.');
  const overlap = await overlapWaits(durations, reads);
  events.emit('parent', me, 'result', { step: 'overlap', ...overlap });
  context.say(
    `  ${waits} timers (50–200 ms each) and ${reads} file reads, all started together, one thread:\n` +
      `  one after another they would take ${(overlap.sumMs / 1000).toFixed(1)} s; overlapped they took ` +
      `${overlap.wallMs.toFixed(0)} ms (the longest alone is ${overlap.longestMs.toFixed(0)} ms).`,
  );
  if (!context.json)
    await context.result(
      `overlapped: ${overlap.waits} waits, ${overlap.sumMs.toFixed(0)} ms of waiting in ${overlap.wallMs.toFixed(0)} ms`,
    );

  context.step(`2. The same loop, blocked by ${blockMs} ms of CPU work`);
  const timers = 50;
  const everyMs = Math.max(1, Math.round(blockMs / timers));
  const free = await measureLateness(timers, everyMs, 0);
  let n = 0;
  const blocked = await measureLateness(timers, everyMs, blockMs, () => isPrime(n++));
  const line = (label: string, run: LatenessRun): string =>
    `${label}: ${run.timers} timers due every ${everyMs} ms: late by median ${quantile(run.lateMs, 0.5).toFixed(0)} ms, ` +
    `max ${quantile(run.lateMs, 1).toFixed(0)} ms, fired during the block ${run.firedDuringBlock}`;
  for (const [label, run] of [
    ['free loop', free],
    ['blocked loop', blocked],
  ] as const) {
    events.emit('parent', me, 'result', { step: label, ...run });
    context.say(`  ${line(label, run)}`);
    if (!context.json) await context.result(line(label, run));
  }
  context.say(
    '  While the CPU loop runs, no callback can: every timer due in that time waits, then they all fire\n' +
      '  together when the loop is free. async/await gives concurrency (overlapped waits), not parallelism.',
  );

  context.step('3. Why the spinner lives in a child');
  const spinner = SpinnerProcess.start({ text: `blocking the parent for ${blockMs} ms…`, intervalMs: 50 });
  // Give the child a moment to start its timer, so the block below is measured from its first frame.
  await new Promise<void>((resolve) => spinner.child.once('message', () => resolve()));
  const inParent = await measureLateness(Math.max(1, Math.round(blockMs / 50)), 50, blockMs, () =>
    isPrime(n++),
  );
  const stats = await spinner.finish('stop');
  const childMax = stats?.intervalMaxMs ?? 0;
  const parentLine =
    `parent timer (every 50 ms): max ${quantile(inParent.lateMs, 1).toFixed(0)} ms late; ` +
    `child spinner (every 50 ms): ${stats?.frames ?? 0} frames, longest gap ${childMax.toFixed(0)} ms`;
  events.emit('parent', me, 'result', { step: 'spinner', parentLateMs: inParent.lateMs, child: stats });
  context.say(`  ${parentLine}`);
  if (!context.json) await context.result(parentLine);
  context.say(
    "  The child's event loop is its own, so its timer keeps time while the parent's is stuck. The parent only\n" +
      '  has to send it messages, and sending works even from inside a busy loop.',
  );
  return 0;
}
