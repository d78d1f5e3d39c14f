/**
 * Worker hosts for the distributed tests: `concur worker` started with the broker URL in CONCUR_BROKER (so it is
 * never on a command line), ready once it says so, and stopped the way a person would (SIGTERM).
 */
import type { ResultPromise } from 'execa';
import { hasRedisServer } from '../../../dist/patterns/distributed/local-redis.js';
import { concur, isAlive, waitForLine } from '../../helpers.js';

/** Whether these tests can start a redis-server, and what their suite's title says when they cannot. */
export const available = hasRedisServer();
export const why = available ? '' : ' (skipped: redis-server is not installed; apt-get install redis-server)';

export interface Host {
  run: ResultPromise;
  /** Everything the host has written to stderr so far. */
  said: () => string;
}

/**
 * Start `concur worker` on `queue` and wait for its ready line; it may live `timeoutMs` at most. `env` is added
 * to its environment (NODE_OPTIONS for a preloaded fixture, say).
 */
export async function startHost(
  broker: string,
  queue: string,
  name: string,
  extra: string[] = [],
  timeoutMs = 200_000,
  env: Record<string, string> = {},
): Promise<Host> {
  const run = concur(['worker', '--queue', queue, '--name', name, '-j', '1', ...extra], {
    timeout: timeoutMs,
    env: { ...env, CONCUR_BROKER: broker },
  });
  let said = '';
  run.stderr!.on('data', (chunk: Buffer) => (said += String(chunk)));
  await waitForLine(run.stderr!, /ready, pulling from queue/, 60_000);
  return { run, said: () => said };
}

/** SIGTERM a host that is still running, and wait for it to end. */
export async function stopHost({ run }: Pick<Host, 'run'>): Promise<void> {
  if (run.pid && isAlive(run.pid)) run.kill('SIGTERM');
  await run;
}
