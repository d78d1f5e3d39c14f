/**
 * Demo: coroutines with `yield`, in six steps after Beazley's "A Curious Course on Coroutines and
 * Concurrency": pull, receive (and priming), close/throw, push pipelines and broadcast, the re-entrance
 * hazard, and the same coroutine run in a child process. Each step's output goes to stdout; the commentary
 * goes to stderr.
 * Try: concur demo coroutine
 */
import { countdown, grepAndPrint, grepAndPrintUnprimed, sampleLines } from './examples.js';
import { grepInChild } from './coprocess.js';
import { broadcast, close, grep, pushAll, sink, throwInto, type Coroutine } from './coroutine.js';
import type { DemoContext } from '../demo-context.js';

export default async function coroutineDemo(context: DemoContext): Promise<number> {
  // Results are collected per step and written in order, so a slow stdout never reorders them.
  const out: string[] = [];
  const print = (line: string): void => void out.push(line);
  const emit = async (step: number): Promise<void> => {
    for (const line of out.splice(0)) await context.result(line, { step });
  };

  context.step('1. A generator, pulled by iteration');
  context.say(
    '  for (const n of countdown(5)): each loop turn resumes the generator until its next `yield n`.',
  );
  const numbers: number[] = [];
  for (const n of countdown(5, print)) numbers.push(n);
  print(numbers.join(' '));
  await emit(1);

  context.step('2. A coroutine receives values: `const line = yield`');
  context.say('  unprimed: the first next(value) only runs the generator up to its first yield;');
  context.say('  JavaScript drops that value silently (Python would raise). So the first line is lost:');
  const unprimed = grepAndPrintUnprimed('python', print);
  unprimed.next('python generators rock!');
  unprimed.next('python is fun');
  unprimed.return(undefined);
  await emit(2);
  context.say('  primed by coroutine(): it runs to the first yield at once, and every line counts.');
  const g = grepAndPrint('python', print);
  for (const line of sampleLines.slice(0, 3)) g.next(line);
  await emit(2);

  context.step('3. return() and throw()');
  context.say('  g.return() resumes the coroutine as if its yield were `return`: its finally block runs.');
  close(g);
  print(`after return(): done = ${String(g.next('python again').done)}`);
  await emit(3);
  context.say('  g.throw(error) raises the error at the yield where the coroutine waits.');
  const h = grepAndPrint('python', print);
  const thrown = throwInto(h, new RangeError("You're hosed"));
  print(`throw(): ${thrown.caught ? 'caught inside' : "RangeError: You're hosed came back out"}`);
  print(`after throw(): done = ${String(h.next('python').done)}`);
  await emit(3);

  context.step('4. A push pipeline, and broadcast');
  context.say('  source → grep("python") → sink: the source pushes; nothing pulls.');
  pushAll(sampleLines, grep('python', sink(print)));
  await emit(4);
  context.say('  broadcast to three greps, each with its own printer:');
  const labelled = (label: string): Coroutine<string> => sink((line: string) => print(`${label}: ${line}`));
  pushAll(
    sampleLines,
    broadcast([
      grep('python', labelled('python')),
      grep('ply', labelled('ply')),
      grep('swig', labelled('swig')),
    ]),
  );
  await emit(4);
  context.say('  fan-in: the three greps feed one printer; closing the broadcast closes it once.');
  const shared = sink(print, () => print('(printer closed)'));
  pushAll(sampleLines, broadcast([grep('python', shared), grep('ply', shared), grep('swig', shared)]));
  await emit(4);

  context.step('5. The hazard: re-entering a running generator');
  context.say('  a target that sends back into the broadcast that is calling it:');
  const targets: Coroutine<string>[] = [];
  const loop = broadcast(targets);
  targets.push(sink((value: string) => void loop.next(`echo of ${value}`)));
  try {
    loop.next('hello');
    print('no error');
  } catch (error) {
    print(`${(error as Error).name}: ${(error as Error).message}`);
  }
  print(`the broadcast is now finished: done = ${String(loop.next('again').done)}`);
  await emit(5);
  context.say('  A generator has one frame. While it runs (inside loop.next), it cannot be resumed again;');
  context.say('  the error unwound through it and ended it. Push networks must be acyclic, or pass');
  context.say('  messages through a queue (a scheduler, as in `concur demo scheduler`).');

  context.step('6. The same coroutine in a child process');
  context.say('  sendTo(child) is a coroutine that turns each value into an IPC message; the child pushes');
  context.say('  them into the same grep coroutine and sends its output back.');
  const inProcess: string[] = [];
  const local = grepAndPrint('python', (line) => void inProcess.push(line));
  pushAll(sampleLines, local);
  let messages = 0;
  const run = await grepInChild('python', sampleLines, {
    // grepInChild records each message as an event (the child's spawn and exit too); this counts them.
    onMessage: () => void messages++,
  });
  context.say(
    `  child pid ${run.pid}: received ${run.received} values; ${messages} messages crossed the boundary`,
  );
  for (const line of run.output) print(line);
  const same = run.output.join('\n') === inProcess.join('\n');
  print(`same output as in-process: ${same ? 'yes' : 'no'}`);
  await emit(6);
  context.say('  "The coroutine is the implementation; the environment is whatever you choose." (Beazley)');
  return same ? 0 : 1;
}
