/**
 * The supervisor demo's restart-types step (`--restart <type>`). OTP's child specs say when a child that
 * exited is restarted: permanent always, transient only after an abnormal exit, temporary never. Two
 * workers under one supervisor: worker-1 finishes normally, worker-2 crashes, and the type decides which
 * of them come back. Use transient for work that may end by itself, temporary for one-off jobs.
 */
import { fileURLToPath } from 'node:url';
import { describeReason } from '../../process/supervision.js';
import { isFromSupervisedWorker, type ToSupervisedWorker } from './protocol.js';
import { forkLinked, Supervisor, type RestartType, type SupervisorEvent } from './supervisor.js';
import type { DemoContext } from '../demo-context.js';

const workerPath = fileURLToPath(new URL('./worker.child.js', import.meta.url));
const isReady = (message: unknown): boolean => isFromSupervisedWorker(message) && message.type === 'ready';

/** What each restart type does with a normal exit and with a crash. */
const meaning: Record<RestartType, string> = {
  permanent: 'always restarted, even after a normal exit (a server that must always be there)',
  transient: 'restarted only after an abnormal exit (work that may finish by itself)',
  temporary: 'never restarted (a one-off job; its failure is only reported)',
};

/** Run the two workers with `restart` and report, on stdout, what the supervisor did about each exit. */
export async function restartTypesStep(context: DemoContext, restart: RestartType): Promise<void> {
  context.step(`1b. Restart types: ${restart}`);
  context.say(`  ${restart}: ${meaning[restart]}.`);
  context.say('  worker-1 will finish normally (exit 0); worker-2 will crash (exit 3).');
  const lines: string[] = [];
  const settled = new Map<string, () => void>();
  const onEvent = (event: SupervisorEvent): void => {
    const line = describe(event);
    if (line) lines.push(line);
    if (event.type === 'not-restarted' || (event.type === 'started' && event.restarts > 0))
      settled.get(event.id)?.();
  };
  const supervisor = new Supervisor(
    ['worker-1', 'worker-2'].map((id) => ({
      id,
      restart,
      start: () => forkLinked(workerPath, [id], isReady),
      shutdownMs: 1000,
    })),
    { strategy: 'one_for_one', maxRestarts: 10, onEvent },
  );
  await supervisor.start();
  const orders: [string, ToSupervisedWorker][] = [
    ['worker-1', { type: 'finish' }],
    ['worker-2', { type: 'crash', crash: { how: 'exit', code: 3 } }],
  ];
  for (const [id, order] of orders) {
    const handled = new Promise<void>((resolve) => settled.set(id, resolve));
    supervisor.child(id)?.send(order, () => {});
    await handled;
    await supervisor.settled();
  }
  const exit = await supervisor.stop();
  for (const line of lines) await context.result(`${restart}: ${line}`);
  await context.result(`${restart}: ${exit.restarts} restart(s)`);
}

// One line per event worth showing (no PIDs, so the output is the same every run).
function describe(event: SupervisorEvent): string | undefined {
  switch (event.type) {
    case 'down':
      return `${event.id} ${describeReason(event.reason)}`;
    case 'started':
      return event.restarts > 0 ? `${event.id} restarted` : undefined;
    case 'not-restarted':
      return `${event.id} not restarted`;
    default:
      return undefined;
  }
}
