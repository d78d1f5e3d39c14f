/**
 * Every subcommand, as `concur --help` lists it, and how to load it. Only the command that runs is loaded:
 * `concur --help` and `concur demo` should start about as fast as Node itself (bench/startup.bench.js).
 * Each `summary` is the command's own description (a test keeps the two the same).
 */
import type { Command } from 'commander';

/** One subcommand: its name, its line in `concur --help`, and its module, loaded only when it runs. */
export interface CommandEntry {
  name: string;
  /** The usage shown beside the name in `concur --help`, e.g. `spinner [options] [command...]`. */
  term: string;
  summary: string;
  load: () => Promise<(program: Command) => void>;
}

/** The subcommands, in the order `concur --help` lists them. */
export const commandList: readonly CommandEntry[] = [
  {
    name: 'spinner',
    term: 'spinner [options] [command...]',
    summary: 'run a long computation (or a command) while a forked child process draws a spinner on stderr',
    load: async () => (await import('./spinner.js')).registerSpinner,
  },
  {
    name: 'pipeline',
    term: 'pipeline [options]',
    summary: 'stream stdin line by line through stage modules, each in its own process, to stdout',
    load: async () => (await import('./pipeline.js')).registerPipeline,
  },
  {
    name: 'coroutine',
    term: 'coroutine [options]',
    summary: 'run stage modules over stdin as a push pipeline of coroutines, all in one process',
    load: async () => (await import('./coroutine.js')).registerCoroutine,
  },
  {
    name: 'fan-out',
    term: 'fan-out [options]',
    summary: 'run each line of stdin through a worker module in a pool of processes; one output line each',
    load: async () => (await import('./fan-out.js')).registerFanOut,
  },
  {
    name: 'worker',
    term: 'worker [options]',
    summary: 'serve as a worker host for `concur fan-out --broker`: run queued items in a local pool',
    load: async () => (await import('./worker.js')).registerWorker,
  },
  {
    name: 'demo',
    term: 'demo [name]',
    summary: 'list the patterns, or run one as a narrated demo (narration on stderr, results on stdout)',
    load: async () => (await import('./demo.js')).registerDemo,
  },
];

// The program's options that take a value: the word after them is that value, not a command name.
const VALUED = new Set(['--events', '--trace']);

/**
 * The subcommand an argv names (`concur [options] <name> ...`, or `concur help <name>`), if any: the only one
 * whose module needs loading to parse it.
 */
export function commandNamed(argv: readonly string[]): string | undefined {
  let help = false;
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i] ?? '';
    if (word === '--') return undefined;
    if (VALUED.has(word)) i++;
    else if (word === 'help' && !help) help = true;
    else if (!word.startsWith('-')) return word;
  }
  return undefined;
}
