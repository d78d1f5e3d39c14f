/**
 * A supervisor in its own process, supervising two workers: the middle of a supervision tree. The demo
 * kills it to show links: its workers are linked to it (exitWithParent), so they go down with it.
 * Usage (forked): sub-supervisor.child.js
 * Try: concur demo supervisor
 */
import { fileURLToPath } from 'node:url';
import { isFromSupervisedWorker, type FromSubSupervisor } from './protocol.js';
import { exitWithParent } from '../../process/lifeline.js';
import { send } from '../../process/messages.js';
import { forkLinked, Supervisor } from './supervisor.js';

const workerPath = fileURLToPath(new URL('./worker.child.js', import.meta.url));
const isReady = (message: unknown): boolean => isFromSupervisedWorker(message) && message.type === 'ready';

exitWithParent();
const supervisor = new Supervisor(
  ['worker-a', 'worker-b'].map((id) => ({ id, start: () => forkLinked(workerPath, [id], isReady) })),
);
await supervisor.start();
send<FromSubSupervisor>({ type: 'ready', pid: process.pid, workers: supervisor.which() });
