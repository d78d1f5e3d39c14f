/**
 * Demo: generators, from pull pipelines to async/await, after Beazley's course: a pull chain (follow → grep
 * → sum), coroutines against objects (timed), an event-driven state machine (buses.py), the rule bogus.py
 * breaks, a Task run step by step (task.py), and trampolining (trampoline.py, pyos8) ending in yield* and
 * async/await. Results on stdout; commentary on stderr.
 * Use it to see where async/await comes from, one step at a time.
 * Try: concur demo generators
 */
import { accessLog, bytesSent, follow, grepLines } from './pull.js';
import { timeCoroutinesAndObjects } from './benchmark.js';
import { busLocations, busesToRecords, busesXml, filterOnField, parseXml } from './buses.js';
import {
  Task,
  holyGrail,
  mainAsync,
  mainWithDelegation,
  mainWithStack,
  runWithStack,
  trampoline,
} from './tasks.js';
import type { DemoContext } from '../demo-context.js';

const SENDS = 1_000_000;

export default async function generatorsDemo(context: DemoContext): Promise<number> {
  const out: string[] = [];
  const print = (line: string): void => void out.push(line);
  const emit = async (step: number): Promise<void> => {
    for (const line of out.splice(0)) await context.result(line, { step });
  };

  context.step('1. A pull pipeline: follow → grep → print');
  context.say('  each stage is a generator that asks the one before it for the next line; the for loop at');
  context.say('  the end does the asking, so one line travels the whole chain before the next is read.');
  let read = 0;
  for (const line of grepLines(
    'python',
    follow(accessLog, () => void read++),
  ))
    print(line);
  let total = 0;
  for (const bytes of bytesSent(follow(accessLog))) total += bytes;
  print(`Total bytes ${total}`);
  await emit(1);
  context.say(`  ${read} lines read, one at a time; no stage ever held the whole log.`);

  context.step('2. Coroutines against objects, timed (benchmark.py)');
  context.say(`  the same grep stage into a null sink, ${SENDS.toLocaleString('en-US')} sends each:`);
  const timings = timeCoroutinesAndObjects(SENDS);
  const ratio = timings.coroutineMs / timings.objectMs;
  print(`coroutine: ${(timings.coroutineMs / 1000).toFixed(3)} s`);
  print(`object:    ${(timings.objectMs / 1000).toFixed(3)} s`);
  print(`coroutine / object: ${ratio.toFixed(2)}`);
  await emit(2);
  context.say(
    '  Beazley measured 0.60 s against 0.92 s in CPython 2.6: the coroutine won, because resuming a',
  );
  context.say(
    '  frame skipped a method lookup on self. V8 compiles and inlines the method call, so here the',
  );
  context.say(
    `  object ${ratio > 1 ? 'wins' : 'does not win this time'}. Choose coroutines for the shape of the code, and measure speed.`,
  );

  context.step('3. An event-driven state machine (buses.py)');
  context.say(
    '  the parser pushes events into busesToRecords; its state ("outside a bus" or "inside one") is',
  );
  context.say('  just the yield it is waiting at. Two filters keep route 22, north bound:');
  parseXml(
    busesXml,
    busesToRecords(
      filterOnField('route', '22', filterOnField('direction', 'North Bound', busLocations(print))),
    ),
  );
  await emit(3);

  context.step('4. The rule: yield is for iteration, for receiving, or for traps; never mixed (bogus.py)');
  context.say('  a countdown that is iterated and also sent a new start: the loop sends 3 when it sees 5.');
  const seen = holyGrail(print);
  print(seen.join(' '));
  await emit(4);
  context.say(
    '  The 3 came out of next(3) itself, into the loop body that threw it away; the loop never saw it.',
  );
  context.say('  A generator that both produces and receives gives values to two callers at once. Keep them');
  context.say(
    '  apart: iterate it (producer), send to it (coroutine), or let it yield traps to a scheduler.',
  );

  context.step('5. A coroutine as a Task, run step by step (task.py)');
  function* foo(): Generator<void, void, unknown> {
    print('Part 1');
    yield;
    print('Part 2');
    yield;
  }
  const t1 = new Task(foo());
  print('Running foo()');
  t1.run();
  print('Resuming foo()');
  t1.run();
  await emit(5);
  context.say(
    `  task ${t1.tid} only runs when run() is called: put tasks in a queue and call run() on each in`,
  );
  context.say('  turn, and you have a scheduler (concur demo scheduler builds it out, pyos1–pyos8).');

  context.step('6. Calling a sub-coroutine: trampolining, a call stack, yield*, await');
  context.say('  main cannot call add(2, 2) itself: calling a generator only creates it. So main yields it,');
  context.say('  and the driver runs it and sends the result back in (the trampoline):');
  trampoline((value) => print(`trampoline: ${value}`));
  context.say('  pyos8 generalises that into a stack per task: a yielded generator is a call (push the');
  context.say('  caller), a finished one a return (pop it, send the value). Nested calls work at any depth:');
  const depth = runWithStack(mainWithStack((value) => print(`task call stack: ${value}`)));
  context.say(`  (the stack was ${depth} frames deep at its deepest)`);
  mainWithDelegation((value) => print(`yield*: ${value}`)).next();
  context.say('  yield* is that stack, built into the language: values the callee yields go straight out to');
  context.say('  whoever drives the task (the scheduler), values sent in go straight to the callee, and the');
  context.say(
    "  callee's return value becomes the value of the yield* expression. The engine keeps the chain",
  );
  context.say('  of suspended frames, so a task is a whole call stack that can pause at any depth.');
  await mainAsync((value) => print(`async/await: ${value}`));
  await emit(6);
  context.say('  async/await is the same idea with a promise as the trap: await suspends the whole chain of');
  context.say(
    "  async calls, and Node's event loop is the scheduler that resumes it when the promise settles.",
  );
  return 0;
}
