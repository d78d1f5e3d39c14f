/**
 * The supervisor demo's trap_exit step: a process linked to a partner, with and without trapping exits.
 * The partner is killed; without trap_exit the linked process dies with it, with trap_exit it receives the
 * death as a message, {'EXIT', From, Reason}, and keeps running. Narration only (stderr), so the demo's
 * results stay as they were.
 */
import { fileURLToPath } from 'node:url';
import { receiveFrom } from '../../process/messages.js';
import { describeReason, monitor, terminate, type Down } from '../../process/supervision.js';
import { isFromLinked, type FromLinked } from './link-protocol.js';
import { forkLinked } from './supervisor.js';
import type { DemoContext } from '../demo-context.js';

const linkedPath = fileURLToPath(new URL('./linked.child.js', import.meta.url));

/** Start a linked pair, kill the partner, and tell what became of the linked process. */
export async function trapExitStep(context: DemoContext): Promise<void> {
  context.step('3. Trapping exits: process_flag(trap_exit, true)');
  context.say('  a process starts a linked partner; concur kills the partner with SIGKILL.');
  for (const trap of [false, true]) {
    const got: { ready?: Extract<FromLinked, { type: 'ready' }> } = {};
    const linked = await forkLinked(linkedPath, [trap ? 'trap' : 'no-trap'], (message) => {
      if (isFromLinked(message) && message.type === 'ready') got.ready = message;
      return got.ready !== undefined;
    });
    const { ready } = got;
    if (!ready) throw new Error('linked process: no ready message');
    context.events.child(linked, trap ? 'linked (trap_exit)' : 'linked');
    const down = new Promise<Down>((resolve) => monitor(linked, resolve));
    const trapped = new Promise<string>((resolve) =>
      receiveFrom(linked, isFromLinked, (message) => {
        if (message.type === 'exit-message') resolve(message.text);
      }),
    );
    process.kill(ready.partner, 'SIGKILL');
    if (!trap) {
      const { reason } = await down;
      context.say(
        `  without trap_exit: pid ${ready.pid} went down with its partner (${describeReason(reason)}).`,
      );
      continue;
    }
    const text = await Promise.race([trapped, down.then(() => 'nothing: it went down')]);
    context.say(`  with trap_exit: pid ${ready.pid} received ${text} as a message, and is still running.`);
    await terminate(linked);
  }
  context.say('  That is how a supervisor survives the children it restarts: it is linked to them (they');
  context.say('  die with it) but traps their exits, and decides what to do with each EXIT message.');
}
