/**
 * A process linked to a partner it starts (a worker), for the trap_exit step. When the partner dies, a
 * link takes this process down too, with the same reason; unless it traps exits (Erlang's
 * `process_flag(trap_exit, true)`), when the death arrives as a message, {'EXIT', From, Reason}, and the
 * process carries on. Supervisors trap exits: that is how they outlive the children they restart.
 * Usage (forked): linked.child.js trap|no-trap
 */
import { fileURLToPath } from 'node:url';
import { exitWithParent } from '../../process/lifeline.js';
import { send } from '../../process/messages.js';
import { monitor, type ExitReason } from '../../process/supervision.js';
import type { FromLinked } from './link-protocol.js';
import { isFromSupervisedWorker } from './protocol.js';
import { forkLinked } from './supervisor.js';

const workerPath = fileURLToPath(new URL('./worker.child.js', import.meta.url));
const trapExit = process.argv[2] === 'trap';
const tell = (message: FromLinked): void => send(message);

// Erlang's names for the reasons: a SIGKILL is `killed`.
const erlangReason = (reason: ExitReason): string =>
  reason.kind === 'normal'
    ? 'normal'
    : reason.kind === 'signal'
      ? reason.signal === 'SIGKILL'
        ? 'killed'
        : `{signal,'${reason.signal}'}`
      : reason.kind === 'exit'
        ? `{exit_code,${reason.code}}`
        : `{error,"${reason.message}"}`;

exitWithParent();
const partner = await forkLinked(
  workerPath,
  ['partner'],
  (m) => isFromSupervisedWorker(m) && m.type === 'ready',
);
monitor(partner, (down) => {
  if (trapExit) {
    tell({ type: 'exit-message', text: `{'EXIT', <${down.pid}>, ${erlangReason(down.reason)}}` });
    return;
  }
  // The link: go down with the partner, for the same reason.
  if (down.reason.kind === 'signal') process.kill(process.pid, down.reason.signal);
  process.exit(down.reason.kind === 'exit' ? down.reason.code : 1);
});
tell({ type: 'ready', pid: process.pid, partner: partner.pid ?? 0 });
