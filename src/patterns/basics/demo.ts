/**
 * Demo: the first examples of Python's multiprocessing docs, in Node: a child process reports its pid and
 * its parent's (info()), the basic message [42, null, 'hello'] crosses the IPC channel, and a shared float
 * and array are changed by a worker thread (Value and Array). Results on stdout; commentary on stderr.
 * Use it as the first look at processes and threads in Node, before the pools and supervisors.
 * Try: concur demo basics
 */
import { sharedValueAndArray, show, talkToChild } from './basics.js';
import type { DemoContext } from '../demo-context.js';

export default async function basicsDemo(context: DemoContext): Promise<number> {
  context.step('1. A process, its id and its parent (Process, join, info())');
  context.say('  the parent prints its own info, forks a child, and the child reports its own:');
  await context.result('main line');
  await context.result(`parent process: ${process.ppid}`);
  await context.result(`process id: ${process.pid}`);
  const json = await talkToChild('json');
  await context.result(json.info.title);
  await context.result(`parent process: ${json.info.ppid}`);
  await context.result(`process id: ${json.info.pid}`);
  const parent = json.info.ppid === process.pid ? 'this concur process' : 'NOT this process';
  context.say(`  the child's parent is ${parent}: a forked child is a whole new process (its own pid,`);
  context.say("  memory and event loop), started by ours. The demo waits for it to exit (Python's join()).");

  context.step("2. Exchanging objects: [42, null, 'hello'] over the IPC channel (Queue, Pipe)");
  context.say('  the child sends the list; the parent, its receiver, prints what arrived:');
  await context.result(show(json.basic));
  context.say(
    "  Python's None is JavaScript's null. The value is copied: serialized by the sender, parsed by",
  );
  context.say("  the receiver. fork()'s default is JSON, which cannot carry everything; 'advanced' uses the");
  context.say('  structured clone algorithm. The same Map sent both ways:');
  const advanced = await talkToChild('advanced');
  await context.result(`json: ${show(json.rich)}`);
  await context.result(`advanced: ${show(advanced.rich)}`);

  context.step('3. Shared memory: a float and an array changed by a thread (Value, Array)');
  context.say("  Value('d', 0.0) and Array('i', range(10)) become a Float64Array and an Int32Array on");
  context.say('  SharedArrayBuffers; a worker thread sets the float and negates the array in place:');
  const { num, arr } = await sharedValueAndArray();
  await context.result(String(num));
  await context.result(show(arr));
  context.say(
    '  Only threads share memory this way: a forked process has its own address space, and the IPC',
  );
  context.say('  channel would copy the buffer (see `concur demo shared-memory`, step 4).');
  return 0;
}
