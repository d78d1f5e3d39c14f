/**
 * A supervisor in its own process, supervising two workers: the middle of a supervision tree. The demo
 * kills it to show links: its workers are linked to it (exitWithParent), so they go down with it.
 * Usage (forked): sub-supervisor.child.js
 * Try: concur demo supervisor
 */
import { fileURLToPath } from 'node:url';
import type { FromSubSupervisor, FromWorker } from './protocol.js';
import { exitWithParent } from '../../process/lifeline.js';
import { forkLinked, Supervisor } from './supervisor.js';

const workerPath = fileURLToPath(new URL('./worker.child.js', import.meta.url));
const isReady = (message: unknown): boolean => (message as FromWorker).type === 'ready';

exitWithParent();
const supervisor = new Supervisor(
  ['worker-a', 'worker-b'].map((id) => ({ id, start: () => forkLinked(workerPath, [id], isReady) })),
);
await supervisor.start();
const ready: FromSubSupervisor = { type: 'ready', pid: process.pid, workers: supervisor.which() };
process.send?.(ready);
