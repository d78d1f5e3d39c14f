/**
 * Demo: mp_workers in Node. Twenty mul tasks go on the queue and four workers pull them; the unordered
 * results come back on the done queue; ten plus tasks follow; then one STOP per worker, and each leaves.
 * Try: concur demo queue
 */
import { epochNow } from '../../trace/clock.js';
import type { ProcessRef } from '../../trace/events.js';
import { exitOnSignals } from '../../process/children.js';
import { describeReason } from '../../process/supervision.js';
import { runFarm, STOP, WorkQueue } from './work-queue.js';
import type { QueueTask, TaskFunction } from './protocol.js';
import { seededRandom } from '../../work/random.js';
import type { DemoContext } from '../demo-context.js';

export default async function queueDemo(context: DemoContext): Promise<number> {
  const workers = (context.options.workers ?? 4) as number;
  const first = (context.options.tasks ?? 20) as number;
  const second = Math.max(1, Math.floor(first / 2));
  const maxDelay = (context.options.delay ?? 100) as number;
  const random = seededRandom((context.options.seed ?? 1) as number);
  const { events } = context;
  exitOnSignals();

  let index = 0;
  const task = (func: TaskFunction, a: number, b: number): QueueTask => ({
    index: index++,
    func,
    args: [a, b],
    delayMs: Math.round(maxDelay * random()),
  });
  const queue = new WorkQueue<QueueTask>();
  context.step(`Worker/queue farm: ${workers} workers, ${first} mul tasks, then ${second} plus tasks`);
  context.say(`  (each task sleeps up to ${maxDelay} ms, by seed, before answering, as in mp_workers)`);
  context.say(
    `  --seed ${String(context.options.seed ?? 1)} fixes each task's pretend work time, so the same tasks are slow every run.`,
  );
  context.say('  It cannot fix which worker takes which task, nor the order of the results: workers ask for');
  context.say('  work when they are free, and who is free first is up to the OS scheduler and IPC timing.');
  for (let i = 0; i < first; i++) queue.put(task('mul', i, 7));

  let results = 0;
  let sendSecondBatch = true;
  const pending: Promise<void>[] = [];
  // Recorded from what the parent sees: a task's span runs from handing it out to its result (the worker asked
  // for it and starts at once; its pretend work dwarfs the IPC).
  const refs = new Map<number, ProcessRef>();
  const handedOut = new Map<number, { msg: number; at: number; item: string }>();
  const farm = runFarm(queue, workers, (event) => {
    switch (event.type) {
      case 'started':
        refs.set(event.worker, { role: `worker ${event.worker}`, pid: event.pid });
        events.spawn({ role: `worker ${event.worker}`, pid: event.pid });
        context.say(`  worker ${event.worker} is pid ${event.pid}`);
        if (event.worker === workers) context.say('Unordered results:');
        return;
      case 'sent': {
        const worker = refs.get(event.worker) ?? { role: `worker ${event.worker}`, pid: 0 };
        const item = event.item === STOP ? STOP : `${event.item.func}(${event.item.args.join(', ')})`;
        const msg = events.send(events.self, worker, event.item === STOP ? 'STOP' : 'task', { item });
        const at = epochNow();
        events.receive(worker, events.self, msg, event.item === STOP ? 'STOP' : 'task', { item }, at);
        handedOut.set(event.worker, { msg, at, item });
        if (event.item === STOP) context.say(`  queue → worker ${event.worker}: STOP`);
        return;
      }
      case 'result': {
        const { func, args } = event.task;
        const worker = refs.get(event.worker);
        const given = handedOut.get(event.worker);
        if (worker && given) {
          events.task(worker, 'task', given.at, epochNow(), { item: given.item });
          events.message(worker, events.self, 'result', { item: given.item, result: event.result });
        }
        const line = `worker ${event.worker} says that ${func}(${args[0]}, ${args[1]}) = ${event.result}`;
        const written = context.result(line, { worker: event.worker, func, args, result: event.result });
        if (written) pending.push(written);
        results++;
        // As mp_workers does: once the first batch is in, queue the second, then one STOP per worker.
        if (results === first && sendSecondBatch) {
          sendSecondBatch = false;
          for (let i = 0; i < second; i++) queue.put(task('plus', i, 8));
          for (let i = 0; i < workers; i++) queue.put(STOP);
          context.say(
            `  ${second} plus tasks, then ${workers} STOPs, one per worker: a worker takes one item at a`,
          );
          context.say(
            '  time and leaves when it takes a STOP, so each STOP stops exactly one worker. With fewer,',
          );
          context.say(
            '  a worker would wait on the empty queue forever; queued last, they come after all the work.',
          );
        }
        return;
      }
      case 'exited':
        events.emit(`worker ${event.worker}`, event.pid, 'exit', { reason: event.reason });
        context.say(`  worker ${event.worker} (pid ${event.pid}) took STOP: ${describeReason(event.reason)}`);
        return;
      default: {
        const unknown: never = event;
        throw new Error(`unknown farm event ${JSON.stringify(unknown)}`);
      }
    }
  });
  await farm;
  await Promise.all(pending);
  context.say(`${results} results from ${workers} workers; every worker left on its STOP.`);
  return 0;
}
