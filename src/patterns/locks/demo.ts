/**
 * Demo: locks and deadlock. Worker threads write to one shared log without and with a mutex (Atomics.wait
 * and Atomics.notify); then two kinds of deadlock, tasks on the scheduler and processes waiting for each
 * other's message, and the two ways out: an order, and timeouts. Results on stdout, commentary on stderr.
 * Use it before sharing anything mutable between threads, or making two processes wait on each other.
 * Try: concur demo locks
 */
import { tasksWaitingOnEachOther, peersTalk, type PeerOutcome } from './deadlock.js';
import { writeSharedLog } from './shared-log.js';
import type { DemoContext } from '../demo-context.js';

const THREADS = 4;
const LINES = 2000;
const PEER_TIMEOUT_MS = 300;

export default async function locksDemo(context: DemoContext): Promise<number> {
  const total = THREADS * LINES;

  context.step('1. Without a lock: four threads write lines into one shared log');
  context.say(`  each thread writes ${LINES} lines "hello world <thread> <n>", a character at a time, as a`);
  context.say('  print reaches the terminal in pieces. No character is lost (each takes its own slot), but');
  context.say('  nothing stops two threads from writing their lines at the same moment:');
  const racy = await writeSharedLog(THREADS, LINES, false);
  for (const line of racy.mixed) context.say(`    ${JSON.stringify(line)}`);
  await context.result(`without a lock: ${racy.intact} of ${total} lines intact`, { locked: false });
  context.say(
    racy.intact === total
      ? '  (this time the threads happened not to overlap: a race shows up only when timing allows it)'
      : `  ${total - racy.intact} lines were shuffled into each other; how many depends on timing, run to run.`,
  );

  context.step('2. With a lock: one line at a time');
  context.say('  a mutex is one Int32 cell: compareExchange(0 → 1) takes it; a thread that finds it taken');
  context.say('  sleeps in Atomics.wait until the holder stores 0 and calls Atomics.notify.');
  const locked = await writeSharedLog(THREADS, LINES, true);
  await context.result(`with a lock: ${locked.intact} of ${total} lines intact`, { locked: true });
  context.say('  The lock makes "write a whole line" one step as far as other threads can see. It costs');
  context.say('  waiting: only one thread writes at a time, so keep what it guards short.');

  context.step('3. Deadlock between tasks: each waits for the other to exit');
  context.say('  task 1 runs waitTask(2) and task 2 runs waitTask(1): neither can ever finish.');
  for (const line of await tasksWaitingOnEachOther(false)) await context.result(`tasks: ${line}`);
  context.say('  The scheduler can tell: no task is ready, no timer is set, no I/O is pending, and every');
  context.say('  task waits for another task. Order fixes it: waits only go one way, never round a cycle.');
  for (const line of await tasksWaitingOnEachOther(true)) await context.result(`ordered tasks: ${line}`);

  context.step('4. Deadlock between processes: each waits for the other to speak first');
  context.say("  two peer processes, a and b; each waits for the other's message before answering it.");
  context.say(
    `  Nobody can see this one: both are idle, waiting. Each wait has a ${PEER_TIMEOUT_MS} ms timeout:`,
  );
  const stuck = await peersTalk(false, PEER_TIMEOUT_MS);
  for (const peer of stuck) context.say(`    peer ${peer.name} (pid ${peer.pid}): ${describe(peer)}`);
  for (const peer of stuck) await context.result(`both wait: ${peer.name} ${outcomeLine(peer)}`);
  context.say('  Without the timeout they would wait forever; with it, each gives up, and can report,');
  context.say('  retry or back off. Then the real cure, an order: a speaks first, b answers.');
  const ordered = await peersTalk(true, PEER_TIMEOUT_MS);
  for (const peer of ordered) context.say(`    peer ${peer.name} (pid ${peer.pid}): ${describe(peer)}`);
  for (const peer of ordered) await context.result(`a speaks first: ${peer.name} ${outcomeLine(peer)}`);
  context.say(
    '  Locks deadlock the same way: two threads taking two locks in opposite order. The same cures:',
  );
  context.say('  always take them in one order, or take them with a timeout (Mutex.lock(timeoutMs)).');
  return 0;
}

function outcomeLine(peer: PeerOutcome): string {
  return peer.heard === null ? 'timed out waiting' : `heard "${peer.heard}"`;
}

function describe(peer: PeerOutcome): string {
  return peer.heard === null
    ? `heard nothing, gave up after ${peer.waitedMs} ms`
    : `heard "${peer.heard}" after ${peer.waitedMs} ms`;
}
