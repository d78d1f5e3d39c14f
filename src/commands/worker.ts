/**
 * `concur worker --broker <url>`: a worker host. Pulls batches of items from a BullMQ queue on Redis and runs them
 * in this host's own fan-out pool (the same WorkerPool and module contract as `concur fan-out --worker`), or with
 * `-- <command>` runs the command once per item (as `concur fan-out -- <command>` does), until
 * Ctrl-C or SIGTERM. Narration and a per-host count go to stderr; stdout stays empty (results go back through
 * the queue to the `concur fan-out --broker` that sent the items).
 */
import type { Command } from 'commander';
import { isCommand } from '../patterns/distributed/work-id.js';
import { say, StatusLine, style } from '../terminal/output.js';
import type { HostEvent, WorkerHost } from '../patterns/distributed/host.js';
import { exitOnSignals } from '../process/children.js';
import { exitWithParent } from '../process/lifeline.js';
import { parseCount, parseCountOrZero, parseDuration } from '../options.js';
import { UsageError } from '../process/errors.js';

interface WorkerFlags {
  broker?: string;
  brokerFile?: string;
  queue?: string;
  jobs?: number;
  worker: string;
  retries: number;
  timeout?: number;
  maxRestarts: number;
  name?: string;
  lockMs?: number;
  loadTimeout: number;
  shell?: boolean;
}

/** Add `concur worker` to the program. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('serve as a worker host for `concur fan-out --broker`: run queued items in a local pool')
    .argument('[command...]', 'after --: run this program once per item instead of a module ({} is the item)')
    .option(
      '--broker <url>',
      'the Redis the coordinator uses: redis://[user:pass@]host:6379 (rediss:// for TLS); default: CONCUR_BROKER',
    )
    .option('--broker-file <path>', 'read the broker URL from the first line of a file (keeps it out of ps)')
    .option('--queue <name>', 'the queue to pull from (default: concur)')
    .option(
      '-j, --jobs <n>',
      'worker processes, or jobs at once with a command (default: one per core)',
      parseCount,
    )
    .option(
      '--shell',
      'with a command: run it with sh -c (for pipes and redirections); items are quoted for sh',
    )
    .option(
      '--worker <module>',
      'the module every item runs through: a path, or a built-in: identity, upper, is-prime, count-primes',
      'identity',
    )
    .option(
      '--retries <n>',
      'extra attempts for an item whose worker process died under it (with a command: whose job failed; default 0)',
      parseCountOrZero,
      1,
    )
    .option(
      '--timeout <duration>',
      'fail an item that runs longer (500ms, 10s, 2m); its worker process (or job process group) is killed',
      parseDuration,
    )
    .option('--max-restarts <n>', 'give up after more than n worker restarts within 5 s', parseCount, 10)
    .option(
      '--load-timeout <duration>',
      'give up (exit 2) on a worker module still loading after this long (500ms, 10s, 2m)',
      parseDuration,
      10_000,
    )
    .option('--name <name>', "this host's name in results (default: <hostname>-<pid>)")
    .option(
      '--lock-ms <ms>',
      'how long a batch stays locked to this host without renewal (default 4000)',
      parseCount,
    )
    .addHelpText(
      'after',
      `
Each host runs only the module or command on its own command line: the queue carries lines of text, never
code. Every host of a queue must run the same: a run that meets two stops with one line naming both.
A host that dies mid-batch loses nothing: its lock expires (--lock-ms) and another host takes the batch.

With -- <command>: each item runs the command as \`concur fan-out -- <command>\` would ({} {.} {/} {//} {/.} {#}
{%}; no shell unless --shell); the coordinator writes each job's stdout byte for byte, in input order, as
that would (nothing added, binary as is); its stderr goes to this host's stderr. A job that fails fails its
item (the coordinator exits 1).

Examples:
  concur worker --broker redis://10.0.0.5:6379 --worker ./hash.js -j 8     on each machine
  seq 1e6 | concur fan-out --broker redis://10.0.0.5:6379 > out.txt         anywhere
  CONCUR_BROKER=redis://:PASSWORD@10.0.0.5:6379 concur worker               a password stays out of ps
  concur worker --broker redis://10.0.0.5:6379 -j 4 -- sha256sum {}        a command per item
  concur worker --broker redis://10.0.0.5:6379 --shell -- 'gzip -c {} | wc -c'

Exit codes: 130 on Ctrl-C and 143 on SIGTERM (batches in hand go back to the queue at once),
1 when the broker is unreachable or lost, 2 for bad options or an unusable module.`,
    )
    .action(async (words: string[], flags: WorkerFlags, command: Command) => {
      // Started by another concur (the demo) with an IPC channel: go when it goes, even if it is SIGKILLed.
      if (process.send) exitWithParent();
      const { serveQueue } = await import('../patterns/distributed/host.js');
      const { findBrokerUrl, maskProcessTitle, BROKER_ENV } =
        await import('../patterns/distributed/redis.js');
      maskProcessTitle();
      const broker = findBrokerUrl(flags);
      if (broker === undefined)
        throw new UsageError(
          `concur worker needs a broker: --broker <url>, --broker-file <path>, or ${BROKER_ENV}=<url>.`,
        );
      checkCommand(words, flags, command);
      const status = new HostStatus();
      const state: { host?: WorkerHost; how: 'stopped' | 'ended' } = { how: 'ended' };
      exitOnSignals(async () => {
        state.how = 'stopped';
        await state.host?.stop();
        status.finish(state.host, 'stopped');
      });
      const host = (state.host = await serveQueue({
        broker,
        queue: flags.queue,
        worker: flags.worker,
        command:
          words.length > 0
            ? { words, shell: flags.shell, onStderr: (data) => status.passOn(data) }
            : undefined,
        jobs: flags.jobs,
        // A failed command is retried only when asked, as in local command fan-out.
        retries: words.length > 0 && command.getOptionValueSource('retries') !== 'cli' ? 0 : flags.retries,
        timeoutMs: flags.timeout,
        maxRestarts: flags.maxRestarts,
        name: flags.name,
        lockMs: flags.lockMs,
        loadTimeoutMs: flags.loadTimeout,
        onEvent: (event) => status.on(event),
      }));
      try {
        await host.done;
      } finally {
        status.finish(host, state.how);
      }
    });
}

// "with 2 processes running upper (sha256 …, pid 7)" or "with 2 jobs at once running command: gzip -c {} (pid 7)".
function runs({ processes: n, module }: Extract<HostEvent, { type: 'ready' }>): string {
  if (isCommand(module))
    return `with ${n} job${n === 1 ? '' : 's'} at once running ${module.name} (pid ${process.pid})`;
  return `with ${n} process${n === 1 ? '' : 'es'} running ${module.name} (sha256 ${module.sha256.slice(0, 12)}, pid ${process.pid})`;
}

// A command host runs no module: module options are mistakes, and the command must follow `--`.
function checkCommand(words: string[], flags: WorkerFlags, command: Command): void {
  if (words.length === 0) {
    if (process.argv.includes('--'))
      throw new UsageError('give a command after --, e.g. concur worker --broker URL -- gzip -c {}.');
    if (flags.shell)
      throw new UsageError('--shell needs a command after --: concur worker --shell -- <command>.');
    return;
  }
  if (!process.argv.includes('--'))
    throw new UsageError(
      `put the command after --: concur worker --broker URL -- ${words.join(' ')} (a module is --worker <module>).`,
    );
  for (const option of ['worker', 'maxRestarts', 'loadTimeout'] as const)
    if (command.getOptionValueSource(option) === 'cli')
      throw new UsageError(
        `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for a module host; this host runs the command after -- (give one or the other).`,
      );
}

/** The per-host count on stderr: redrawn on a terminal, a line every few seconds of activity otherwise. */
class HostStatus {
  private name = 'worker';
  private batches = 0;
  private items = 0;
  private failed = 0;
  private runs = new Set<string>();
  private readonly line = new StatusLine();
  private lastLine = 0;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;

  on(event: HostEvent): void {
    switch (event.type) {
      case 'ready':
        this.name = event.name;
        say(
          `concur worker ${event.name}: ready, pulling from queue '${event.queue}' at ${event.broker} ${runs(event)}`,
        );
        this.timer = setInterval(() => this.tick(), this.line.animates ? 200 : 1000);
        this.timer.unref();
        return;
      case 'batch':
        this.batches++;
        this.items += event.count;
        this.failed += event.failed;
        this.runs.add(event.run);
        this.dirty = true;
        return;
      case 'refused':
        this.clear();
        say(style.yellow(`concur worker ${this.name}: refused job ${event.jobId}: ${event.reason}`));
        return;
      case 'silent':
        this.clear();
        say(
          style.yellow(
            `concur worker ${this.name}: the broker has not answered for ${(event.ms / 1000).toFixed(1)} s`,
          ),
        );
        return;
      case 'reconnected':
        this.clear();
        say(
          style.yellow(
            `concur worker ${this.name}: batches waited ${(event.waitedMs / 1000).toFixed(0)} s while this host took none; renewed its blocking connection to the broker`,
          ),
        );
        return;
      case 'handed-back':
        this.clear();
        say(
          `concur worker ${this.name}: handed ${event.jobs} batch${event.jobs === 1 ? '' : 'es'} back to the queue`,
        );
        return;
      default: {
        const unknown: never = event;
        throw new Error(`worker: unknown event ${JSON.stringify(unknown)}`);
      }
    }
  }

  private text(): string {
    const n = (value: number): string => value.toLocaleString('en');
    const failed = this.failed > 0 ? `, ${n(this.failed)} failed` : '';
    const runs = this.runs.size === 1 ? '1 run' : `${this.runs.size} runs`;
    return `concur worker ${this.name}: ${n(this.items)} items in ${n(this.batches)} batches (${runs}${failed})`;
  }

  // On a terminal: redraw one line. Otherwise: a plain line at most every 5 s, only when something changed.
  private tick(): void {
    if (!this.dirty) return;
    if (this.line.animates) {
      this.line.draw(this.text());
      this.dirty = false;
    } else if (Date.now() - this.lastLine >= 5000) {
      say(this.text());
      this.lastLine = Date.now();
      this.dirty = false;
    }
  }

  private clear(): void {
    this.line.clear();
  }

  /** A command job's stderr, whole, below the status line. */
  passOn(data: Buffer): void {
    this.clear();
    process.stderr.write(data);
  }

  finish(host: WorkerHost | undefined, how: 'stopped' | 'ended'): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.timer);
    this.clear();
    if (host) say(`${this.text()}; ${how}.`);
  }
}
