/**
 * `concur fan-out --broker <url>`: the same command, with the items sent through Redis to `concur worker` hosts
 * instead of a local pool. Input, output, `--json` records (plus the host), failure reports and exit codes are
 * those of local fan-out: writeResults() in fan-out-output.ts writes both.
 */
import type { Command } from 'commander';
import { UsageError } from '../process/errors.js';
import { onStdoutClosed, say, stderrPolicy, style } from '../terminal/output.js';
import type { CoordinatorEvent } from '../patterns/distributed/coordinator.js';
import { exitOnSignals } from '../process/children.js';
import { openStdin } from '../terminal/input.js';
import { ProgressLine, writeResults, type FanOutFlags } from './fan-out-output.js';

/** Run `concur fan-out` against a broker. */
export async function fanOutOnBroker(flags: FanOutFlags, command: Command): Promise<void> {
  const { findBrokerUrl, maskProcessTitle, BROKER_ENV } = await import('../patterns/distributed/redis.js');
  maskProcessTitle();
  const broker = findBrokerUrl(flags);
  if (broker === undefined)
    throw new UsageError(
      `--queue needs a broker (the Redis the hosts use): --broker <url>, --broker-file <path>, or ${BROKER_ENV}.`,
    );
  // The coordinator runs no code: each host runs the module on its own command line.
  for (const option of ['worker', 'jobs', 'maxRestarts'] as const)
    if (command.getOptionValueSource(option) === 'cli')
      throw new UsageError(
        `--${option === 'maxRestarts' ? 'max-restarts' : option === 'jobs' ? 'jobs' : 'worker'} belongs to \`concur worker\` on each host when --broker is given (items are data; hosts choose the code).`,
      );
  const { streamLines } = await import('../patterns/distributed/coordinator.js');
  const progress = flags.progress && stderrPolicy.animate ? new ProgressLine() : undefined;
  const abort = new AbortController();
  const count = { lines: 0, ended: false };
  // Lines stay bytes here: jobs are cut from them as read, and the results are written as they came.
  const results = streamLines(openStdin(), {
    ...(progress ? { count } : {}),
    broker,
    queue: flags.queue,
    ordered: !flags.unordered,
    retries: flags.retries,
    signal: abort.signal,
    onEvent: (event) => report(event, progress),
  });
  // Ctrl-C, SIGTERM, or a reader gone (`| head -1`): stop the run and let the coordinator forget it in Redis (its
  // keys, and the batches no host has taken back to the queue's hands). Ending the results' generator runs that
  // cleanup even while the writer waits on a stdout that will never drain; a broker gone silent has 2 s.
  const stop = async (): Promise<void> => {
    progress?.clear();
    abort.abort();
    const ended = results.return(undefined).catch(() => {});
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2000))]);
  };
  exitOnSignals(stop);
  onStdoutClosed(stop);
  progress?.start(`fan-out --broker`, count);
  try {
    await writeResults(results, flags, progress);
  } finally {
    progress?.stop();
  }
}

// What a person should hear about while results arrive: hosts dying, batches lost, nobody pulling.
function report(event: CoordinatorEvent, progress: ProgressLine | undefined): void {
  switch (event.type) {
    case 'stalled':
      progress?.clear();
      say(
        style.yellow(`concur: a host stopped answering for batch ${event.jobId}; it goes to another host.`),
      );
      return;
    case 'failed':
      progress?.clear();
      say(style.red(`concur: batch ${event.jobId} failed on every attempt: ${event.reason}`));
      return;
    case 'no-hosts':
      progress?.clear();
      say(
        style.yellow(
          `concur: no worker host is pulling from queue '${event.queue}' at ${event.broker}; start one: CONCUR_BROKER=<url> concur worker --queue ${event.queue} --worker <module> (or -- <command>)`,
        ),
      );
      return;
    case 'silent':
      progress?.clear();
      say(
        style.yellow(
          `concur: the broker at ${event.broker} has not answered for ${(event.ms / 1000).toFixed(1)} s; giving up at ${event.limitMs / 1000} s.`,
        ),
      );
      return;
    case 'reconnected':
      progress?.clear();
      say(
        style.yellow(
          `concur: the connection reading results from the broker at ${event.broker} got no answer for ${(event.ms / 1000).toFixed(1)} s while the broker answered on another; renewed it.`,
        ),
      );
      return;
    case 'resent':
      progress?.clear();
      say(
        style.yellow(
          `concur: batch ${event.jobId} left the queue and its result never came (a pop on the dead connection may have taken it); sent it again.`,
        ),
      );
      return;
    case 'connected':
    case 'sent':
    case 'done':
      return;
    default: {
      const unknown: never = event;
      throw new Error(`fan-out: unknown event ${JSON.stringify(unknown)}`);
    }
  }
}
