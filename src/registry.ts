/**
 * The one list of patterns. It feeds `concur demo` (the list and its choices), the help text, and the README.
 * Each entry loads its demo lazily, so starting concur costs the same however many patterns there are.
 */
import type { Command } from 'commander';
import { parseCount } from './commands/options.js';
import type { DemoContext } from './demos/context.js';

/** A teachable pattern with a runnable demo. */
export interface Pattern {
  /** The name used in `concur demo <name>`. */
  name: string;
  /** One line: what the demo shows. */
  summary: string;
  /** Add demo-specific options (e.g. `--strategy`) to its `concur demo <name>` command. */
  options?: (command: Command) => void;
  /** Load and run the demo; resolves with an exit code (0 when omitted). */
  run: (context: DemoContext) => Promise<number | void>;
}

/** Every pattern concur can demonstrate, in teaching order. */
export const patterns: readonly Pattern[] = [
  {
    name: 'spinner',
    summary: 'a forked child keeps a spinner turning while the parent blocks on CPU work',
    options: (command) => command.option('--size <n>', 'count primes below n', parseCount),
    run: async (context) => (await import('./demos/spinner.js')).default(context),
  },
  {
    name: 'fan-out',
    summary: 'a pool of worker processes tests numbers for primality; speed-up, who did what, crash recovery',
    options: (command) =>
      command.option('-j, --jobs <n>', 'worker processes (default: one per core)', parseCount),
    run: async (context) => (await import('./demos/fan-out.js')).default(context),
  },
  {
    name: 'distributed',
    summary: 'the same fan-out over Redis (BullMQ): two worker hosts, one killed mid-run, nothing lost',
    options: (command) =>
      command
        .option('--broker <url>', 'use this Redis instead of starting a throwaway redis-server')
        .option('--items <n>', 'how many items to fan out (default 240)', parseCount),
    run: async (context) => (await import('./demos/distributed.js')).default(context),
  },
];

/** Look a pattern up by name. */
export function findPattern(name: string): Pattern | undefined {
  return patterns.find((pattern) => pattern.name === name);
}
