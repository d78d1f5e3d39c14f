/**
 * The coordinator of distributed fan-out (`concur fan-out --broker`): the same fan-out as src/patterns/fan-out/,
 * with the worker processes spread over many hosts (host.ts).
 *
 * The coordinator cuts the input into batches and puts them in a BullMQ queue on Redis; every worker host pulls
 * batches and runs them in its own local pool; the results wait in the run's own list in Redis (store.ts) until
 * the coordinator pops them, and leave in input order (or as they finish). A watchdog bounds every wait: a
 * silent broker, a run the broker forgot or hosts that disagree on the code end the run with one line that says
 * why; a batch that vanished fails its items with the reason. Batch sizing and the ordered window use local
 * fan-out's classes (BatchSizer, here growing up to eightfold per result; OrderedWindow), and jobs are cut with
 * its cutters (batches.ts). The coordinator runs no user code.
 *
 * Use it when one machine's cores are not enough for a job. The engine is a real one (BullMQ), so a host that
 * dies mid-batch costs a few seconds, not the run. The messages are in protocol.ts.
 * Try: concur demo distributed
 */
import { gather, gatherLines, type Gathered } from './gather.js';
import { Coordinator } from './run.js';
import type { DistributedItemResult } from './encoding.js';
import type { DistributedMapOptions } from './options.js';
import { chunks, wholeLines } from '../fan-out/cutter.js';
import type { ItemChunk } from '../fan-out/fan-in.js';
import type { LineCount } from '../../modules/lines.js';
import type { ResultBatch } from '../fan-out/results.js';

export type { DistributedItemResult } from './encoding.js';
export type { CoordinatorEvent, DistributedMapOptions } from './options.js';

/**
 * Fan `items` out to the worker hosts on a broker and yield each item's result: in input order by default, or
 * as they finish with `ordered: false`. Each result carries the host that ran it. Fails (ConcurError) when the
 * broker cannot be reached or is lost mid-run; what was already yielded stays yielded, once.
 *
 *   for await (const r of map(lines, { broker: 'redis://10.0.0.5:6379' })) console.log(r.host, r.output);
 */
export async function* map(
  items: Iterable<string> | AsyncIterable<string>,
  options: DistributedMapOptions,
): AsyncGenerator<DistributedItemResult, void, undefined> {
  for await (const batch of stream(chunks(items), options)) yield* batch.results() as DistributedItemResult[];
}

/**
 * The streaming form: chunks of lines in (one array of strings per read), one ResultBatch out per finished
 * batch, as `WorkerPool.stream` gives them (its results are DistributedItemResults). Connects first: an unusable
 * broker rejects before any input is read.
 */
export async function* stream(
  source: Iterable<ItemChunk> | AsyncIterable<ItemChunk>,
  options: DistributedMapOptions,
): AsyncGenerator<ResultBatch, void, undefined> {
  yield* runOn(options, (want, maxChars) => gather(source, want, maxChars));
}

/**
 * The form that `concur fan-out --broker` uses, as `WorkerPool.streamLines`: the bytes of a stream of lines in
 * (stdin), never split into strings here; `count`, when given, is kept up to date for a progress display.
 */
export async function* streamLines(
  source: AsyncIterable<Uint8Array>,
  options: DistributedMapOptions & { count?: LineCount },
): AsyncGenerator<ResultBatch, void, undefined> {
  yield* runOn(options, (want, maxBytes) => gatherLines(wholeLines(source, options.count), want, maxBytes));
}

// Connect, run the gathered input through the hosts, and forget the run in Redis however it ends.
async function* runOn(options: DistributedMapOptions, input: Gathered): AsyncGenerator<ResultBatch> {
  const coordinator = await Coordinator.open(options);
  try {
    yield* coordinator.run(input);
  } finally {
    await coordinator.close();
  }
}
