/**
 * Demo: worker threads racing on a shared counter, then the same with Atomics, then with messages instead of
 * shared memory, with the cost of each; and last, why forked processes cannot share memory like this.
 * Try: concur demo shared-memory
 */
import { exitOnSignals } from '../../process/children.js';
import { countWithThreads, probeProcessSharing, type CountRun } from './shared-memory.js';
import type { DemoContext } from '../demo-context.js';

const fmt = (n: number): string => n.toLocaleString('en');
const nsPer = (run: CountRun): string => `${((run.ms * 1e6) / run.expected).toFixed(1)} ns per increment`;

export default async function sharedMemoryDemo(context: DemoContext): Promise<number> {
  const threads = (context.options.threads ?? 4) as number;
  const increments = (context.options.increments ?? 1_000_000) as number;
  const { events } = context;
  const me = process.pid;
  exitOnSignals();

  const report = async (label: string, run: CountRun): Promise<void> => {
    events.emit('parent', me, 'result', { ...run });
    context.say(
      `  ${fmt(run.threads)} threads × ${fmt(run.expected / run.threads)} = ${fmt(run.expected)} expected; ` +
        `counter reads ${fmt(run.total)}` +
        (run.lost > 0 ? `: ${fmt(run.lost)} updates LOST` : ': exact') +
        ` (${run.ms.toFixed(1)} ms, ${nsPer(run)})`,
    );
    if (!context.json)
      await context.result(
        `${label}: expected ${run.expected}, got ${run.total}, lost ${run.lost}, ${run.ms.toFixed(1)} ms`,
      );
  };

  context.step('1. Shared memory without Atomics: counter[0]++ from every thread at once');
  context.say(
    '  Each ++ is a load, an add and a store; two threads can load the same value, and one store wins.',
  );
  const racy = await countWithThreads('racy', threads, increments);
  await report('racy', racy);
  if (racy.lost === 0)
    context.say(
      '  This run lost no updates: the threads happened not to overlap (one core free, or tiny counts). ' +
        'The race is still there; try more --increments or --threads.',
    );

  context.step('2. The same with Atomics.add: one indivisible read-modify-write');
  const atomic = await countWithThreads('atomic', threads, increments);
  await report('atomic', atomic);

  context.step('3. No shared memory: pass messages instead');
  // One message per increment is far slower, so it gets a tenth of the work (the cost is per increment).
  const eachCount = Math.max(1, Math.floor(increments / 10));
  context.say(`  a) one postMessage per increment (${fmt(eachCount)} per thread; each message is copied):`);
  const each = await countWithThreads('message-each', threads, eachCount);
  await report('message per increment', each);
  context.say('  b) count privately, post one message with the total (share nothing, send the result):');
  const total = await countWithThreads('message-total', threads, increments);
  await report('one message per thread', total);
  const ratio = (a: CountRun, b: CountRun): string => (a.ms / a.expected / (b.ms / b.expected)).toFixed(1);
  context.say(
    `  Per increment: Atomics cost ${ratio(atomic, racy)}× the racy version, one message each ` +
      `${ratio(each, atomic)}× Atomics. Counting privately and sending one message is the cheapest of all and ` +
      'cannot race: share the result, not the counter.',
  );

  context.step('4. Forked processes cannot share memory this way');
  context.say(
    '  A forked process has its own address space; the IPC channel carries copies of data, never memory.',
  );
  for (const serialization of ['json', 'advanced'] as const) {
    const probe = await probeProcessSharing(serialization);
    events.emit('parent', me, 'note', { ...probe });
    const what = probe.refused
      ? `the send is refused: "${probe.refused}"`
      : `the child received ${probe.arrivedAs}`;
    context.say(
      `  serialization '${serialization}': ${what}; the parent's buffer still reads ${probe.parentSees}`,
    );
    if (!context.json)
      await context.result(
        `fork (${serialization}): ${probe.refused ? 'refused' : 'copied'}, parent still reads ${probe.parentSees}`,
      );
  }
  context.say(
    '  Between processes, share by sending messages (the actors demo), or use the OS: a file, a socket, a database.',
  );
  return 0;
}
