/**
 * Demo: a small operating system of generator tasks, after Beazley's pyos4–pyos8. `yield` is a trap: tasks
 * ask the scheduler for their id, start and kill tasks, wait for one to exit, sleep, and wait for I/O, and
 * refer to one another only by task id. Every step's output is deterministic (stdout); commentary on stderr.
 * Try: concur demo scheduler
 */
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import {
  Scheduler,
  awaitPromise,
  getTid,
  killTask,
  newTask,
  sleep,
  waitTask,
  type TaskBody,
  type TaskExit,
} from './scheduler.js';
import { readLines } from './read-lines.js';
import type { DemoContext } from '../demo-context.js';

/** What the pyos scheduler prints when a task ends. */
export function describeExit(exit: TaskExit): string {
  if (exit.outcome === 'threw') {
    const error =
      exit.error instanceof Error ? `${exit.error.name}: ${exit.error.message}` : String(exit.error);
    return `Task ${exit.tid} terminated: ${error}`;
  }
  return `Task ${exit.tid} terminated`;
}

export default async function schedulerDemo(context: DemoContext): Promise<number> {
  const out: string[] = [];
  const print = (line: string): void => void out.push(line);
  const emit = async (step: number): Promise<void> => {
    for (const line of out.splice(0)) await context.result(line, { step });
  };
  // A fresh scheduler per step, so task ids start at 1 as in pyos.
  // Each boot's tasks get rows of their own in traces and timelines: `step 3 task 1`, `step 3b task 1`.
  const boot = async (label: string, ...bodies: TaskBody[]): Promise<TaskExit[]> => {
    const scheduler = new Scheduler({ onExit: (exit) => print(describeExit(exit)), label });
    for (const body of bodies) scheduler.spawn(body);
    return scheduler.run();
  };

  context.step('1. Tasks with ids (pyos4)');
  context.say('  two tasks; each bare `yield` hands control back; `yield* getTid()` is a system call.');
  function* foo(times: number): TaskBody<void> {
    const tid = yield* getTid();
    for (let i = 0; i < times; i++) {
      print(`I'm foo ${tid}`);
      yield;
    }
  }
  function* bar(times: number): TaskBody<void> {
    const tid = yield* getTid();
    for (let i = 0; i < times; i++) {
      print(`I'm bar ${tid}`);
      yield;
    }
  }
  await boot('step 1', foo(5), bar(10));
  await emit(1);

  context.step('2. Starting and killing tasks by id (pyos5)');
  context.say('  main starts foo with newTask, lets it run five turns, then kills it with killTask(child).');
  function* forever(): TaskBody<void> {
    const tid = yield* getTid();
    for (;;) {
      print(`I'm foo ${tid}`);
      yield;
    }
  }
  function* killer(): TaskBody<void> {
    const child = yield* newTask(forever());
    for (let i = 0; i < 5; i++) yield;
    yield* killTask(child);
    print('main done');
  }
  await boot('step 2', killer());
  await emit(2);

  context.step('3. Waiting for a task to exit (pyos6)');
  context.say('  main blocks in waitTask(child) while foo runs; the scheduler wakes it when foo exits.');
  function* fiveFoos(): TaskBody<void> {
    for (let i = 0; i < 5; i++) {
      print("I'm foo");
      yield;
    }
  }
  function* waiter(): TaskBody<void> {
    const child = yield* newTask(fiveFoos());
    print('Waiting for child');
    yield* waitTask(child);
    print('Child done');
  }
  await boot('step 3', waiter());
  await emit(3);
  context.say('  waitTask answers how the task ended, so a task that throws is reported to whoever waits:');
  function* failing(): TaskBody<void> {
    yield;
    throw new Error('disk on fire');
  }
  function* supervisor(): TaskBody<void> {
    const child = yield* newTask(failing());
    const exit = yield* waitTask(child);
    print(
      `child ${child} ended: ${exit?.outcome}${exit?.outcome === 'threw' ? ` (${String(exit.error)})` : ''}`,
    );
    const none = yield* waitTask(99);
    print(`waiting for task 99, which does not exist: ${none === undefined ? 'returns at once' : 'blocks'}`);
  }
  await boot('step 3b', supervisor());
  await emit(3);

  context.step('4. Timers: sleeping without blocking the others');
  context.say(
    '  deadlines count from the previous wake-up, so the order below holds however busy the machine.',
  );
  function* ticker(name: string, periodMs: number, times: number): TaskBody<void> {
    for (let i = 1; i <= times; i++) {
      yield* sleep(periodMs);
      print(`${name}: tick ${i} at ${i * periodMs} ms`);
    }
  }
  const started = performance.now();
  await boot('step 4', ticker('fast', 30, 3), ticker('slow', 70, 2));
  await emit(4);
  context.say(`  both ran in ${Math.round(performance.now() - started)} ms of wall time, not 90 + 140.`);

  context.step('5. Waiting for I/O (pyos8: an echo server)');
  context.say('  a server, its client handler and a client, all tasks on one scheduler, over loopback TCP;');
  context.say('  a fourth task keeps ticking while they wait on the network.');
  let ticks = 0;
  function* spinner(): TaskBody<void> {
    for (;;) {
      ticks++;
      yield* sleep(1);
    }
  }
  function* handleClient(socket: Socket): TaskBody<void> {
    for (;;) {
      const lines = yield* readLines(socket);
      if (lines.length === 0) break;
      for (const line of lines) {
        print(`server: echo "${line}"`);
        socket.write(`${line}\n`);
      }
    }
    print('server: client closed the connection');
    socket.end();
  }
  function* client(port: number): TaskBody<void> {
    const socket = connect({ port, host: '127.0.0.1' });
    yield* awaitPromise(once(socket, 'connect'));
    for (const word of ['hello', 'coroutines']) {
      socket.write(`${word}\n`);
      const [reply] = yield* readLines(socket);
      print(`client: got "${reply}"`);
    }
    socket.end();
    yield* awaitPromise(once(socket, 'close'));
  }
  function* server(): TaskBody<void> {
    const spinnerTid = yield* newTask(spinner());
    const listener = createServer({ pauseOnConnect: true });
    listener.listen(0, '127.0.0.1');
    yield* awaitPromise(once(listener, 'listening'));
    print('server: listening');
    const { port } = listener.address() as AddressInfo;
    const clientTid = yield* newTask(client(port));
    const [socket] = (yield* awaitPromise(once(listener, 'connection'))) as [Socket];
    print('server: connection accepted');
    const handlerTid = yield* newTask(handleClient(socket));
    yield* waitTask(handlerTid);
    yield* waitTask(clientTid);
    listener.close();
    yield* killTask(spinnerTid);
    print('server: done');
  }
  await boot('step 5', server());
  await emit(5);
  context.say(`  the ticking task ran ${ticks} times while the others waited for the network.`);
  return 0;
}
