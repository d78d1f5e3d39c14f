/**
 * The command-line program: commander wiring, and the mapping from errors to exit codes.
 * `createProgram()` builds a fresh program, so tests can parse arguments in-process.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, Help } from './commander.js';
import { commandList, commandNamed } from './commands/list.js';
import { ConcurError, ExitCode } from './process/errors.js';
import { onStdoutClosed, sayError } from './terminal/output.js';

// Through require, not `import … from 'node:fs'`: an ES import of a built-in touches all its exports, and fs's
// lazy ReadStream then loads the stream modules, start-up time `concur --help` need not pay.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

// commander's own usage errors, which concur reports with exit code 2.
const usageCodes = new Set([
  'commander.unknownOption',
  'commander.unknownCommand',
  'commander.invalidArgument',
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.excessArguments',
  'commander.conflictingOption',
  'commander.help',
]);

/**
 * Build the `concur` program for `argv` (as in process.argv). Only the subcommand `argv` names is loaded; the
 * others are listed in the help by name and summary alone. Errors are thrown (exitOverride), never turned into
 * process.exit here.
 */
export async function createProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command('concur')
    .description('Process-based concurrency on Node.js, shown and made practical.')
    .version(version, '-V, --version')
    .option('--debug', 'print the full cause of errors (also: DEBUG=concur)')
    .option('--events <file>', 'write every event of the run (spawns, messages, tasks, exits) as NDJSON')
    .option('--trace <file>', 'write a Chrome/Perfetto trace: a track per process, arrows for messages')
    .option('--timeline', 'after the run, draw a timeline of every process on stderr')
    .showSuggestionAfterError(true)
    .configureOutput({
      // One line, prefixed like every other concur error, with the way to learn more.
      outputError: (message, write) => write(`concur: ${message.replace(/^error: /, '').trimEnd()}\n`),
    })
    .addHelpText(
      'after',
      `
Examples:
  concur spinner                 a spinner child turns while the parent computes
  concur spinner -- make build   any command, with a spinner on stderr
  concur demo                    list the patterns, one per line
  concur demo spinner            the spinner pattern, narrated
  concur spinner --timeline      ...and a chart of who was busy when, on stderr
  concur demo spinner --trace t.json   open t.json in ui.perfetto.dev

stdout is data, stderr is for people. Exit codes: 0 ok, 1 failure, 2 usage error,
130 Ctrl-C, 143 SIGTERM, 128+n when a child dies of signal n.`,
    );
  const named = commandNamed(argv);
  for (const entry of commandList) {
    if (entry.name === named) (await entry.load())(program);
    else program.command(entry.name).description(entry.summary);
  }

  // --events, --trace and --timeline belong to the program, so every command and demo has them (before or
  // after its name). The sinks load only when asked for: recording is otherwise a no-op.
  program.hook('preAction', async () => {
    const { events, trace, timeline } = program.opts<{
      events?: string;
      trace?: string;
      timeline?: boolean;
    }>();
    if (events === undefined && trace === undefined && timeline !== true) return;
    const [{ startSinks }, { recorder }] = await Promise.all([
      import('./trace/sinks.js'),
      import('./trace/events.js'),
    ]);
    startSinks(recorder, { events, trace, timeline, version });
  });

  // Throw instead of exiting, in every subcommand, so main() alone decides the exit code.
  const throwAll = (command: Command): void => {
    command.exitOverride();
    command.configureOutput(program.configureOutput());
    command.showSuggestionAfterError(true);
    command.configureHelp({ showGlobalOptions: true });
    command.commands.forEach(throwAll);
  };
  throwAll(program);
  // The help shows each command's usage from the list, loaded or not (a stub has no options of its own).
  const standard = new Help();
  program.configureHelp({
    ...program.configureHelp(),
    subcommandTerm: (command) =>
      commandList.find((entry) => entry.name === command.name())?.term ?? standard.subcommandTerm(command),
  });
  return program;
}

/** Map anything thrown to an exit code, printing one line (the stack only with --debug or DEBUG). */
export function exitCodeFor(error: unknown, debug = false): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
    // commander has printed its own one-line message already.
    return usageCodes.has(error.code) ? ExitCode.usage : error.exitCode;
  }
  if (error instanceof ConcurError) {
    sayError(error.message);
    if (debug && error.cause) console.error(error.cause);
    return error.exitCode;
  }
  sayError(`unexpected error: ${error instanceof Error ? error.message : String(error)}`);
  if (debug) console.error(error);
  else sayError('run again with --debug for details, and please report it.');
  return ExitCode.failure;
}

/** Run concur with `argv` (as in process.argv); sets process.exitCode. */
export async function main(argv: string[]): Promise<void> {
  // From the first byte (help text included), a reader that goes away ends concur quietly (children.ts adds
  // the stopping of children, once there are any).
  onStdoutClosed(() => {});
  try {
    const program = await createProgram(argv);
    await program.parseAsync(argv);
  } catch (error) {
    const debug = argv.includes('--debug') || /\bconcur\b|\*/.test(process.env.DEBUG ?? '');
    process.exitCode = exitCodeFor(error, debug);
  } finally {
    // When concur itself was forked (a worker host in a demo), an open IPC channel would keep it alive
    // after its work, or its error, is done.
    if (process.connected) process.disconnect?.();
  }
}
