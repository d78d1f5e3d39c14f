/**
 * Spinner over any command: `concur spinner -- <command> [args...]`.
 *
 * The command runs under execa; the spinner child draws while it works and doubles as its guardian: if concur
 * dies, even by SIGKILL, the child sees its IPC channel close and kills the command. The command's stdout
 * passes through byte for byte when it is not the terminal the spinner draws on. When the spinner animates,
 * the command's lines on the terminal are sent to the child, which prints each one above the spinner.
 *
 * Try: concur spinner -- sh -c 'sleep 1; echo done'
 * Try: concur demo spinner
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ConcurError, signalExitCode } from '../../process/errors.js';
import { recorder } from '../../trace/events.js';
import { terminalPolicy, type TerminalPolicy } from '../../terminal/policy.js';
import { SpinnerProcess } from './spinner.js';

/** How to run a command under a spinner. */
export interface SpinCommandOptions {
  /** Draw a spinner (default true); false still forks the guardian child, silently. */
  spinner?: boolean;
  /** Text beside the spinner; the command line by default. */
  text?: string;
  style?: 'ora' | 'classic';
  policy?: TerminalPolicy;
}

/** How the command ended, as the shell should see it. */
export interface SpinCommandResult {
  /** The command's exit code, or 128 + n when signal n killed it. */
  exitCode: number;
  signal: NodeJS.Signals | undefined;
  elapsedMs: number;
}

// Send each line of a piped stream to the spinner child, which prints it above the spinner.
async function relayLines(
  stream: Readable | null,
  spinner: SpinnerProcess,
  to: 'stdout' | 'stderr',
): Promise<void> {
  if (!stream) return;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) spinner.log(to, line);
}

/**
 * Run `file args` with a spinner on stderr. Signals concur receives (SIGINT, SIGTERM, SIGHUP) are passed on to
 * the command; a second one of the same kind kills it outright.
 */
export async function spinCommand(
  file: string,
  args: string[],
  options: SpinCommandOptions = {},
): Promise<SpinCommandResult> {
  // Loaded here, not at the top: importing the library should not cost execa's start-up.
  const { execa } = await import('execa');
  const policy = options.policy ?? terminalPolicy(process.stderr);
  const show = options.spinner !== false;
  const animate = show && policy.animate;
  const text = options.text ?? [file, ...args].join(' ');
  const spinner = SpinnerProcess.start({ text, style: options.style, policy, hidden: !show });

  // Pipe a stream through concur only when it shares the spinner's terminal; otherwise it is untouched.
  const stdoutOnTerminal = animate && process.stdout.isTTY === true;
  const started = performance.now();
  const command = execa(file, args, {
    stdin: 'inherit',
    stdout: stdoutOnTerminal ? 'pipe' : 'inherit',
    stderr: animate ? 'pipe' : 'inherit',
    reject: false,
    buffer: false,
    stripFinalNewline: false,
  });
  if (command.pid !== undefined) spinner.guard(command.pid);
  const commandRef = recorder.child(command, 'command', { file, args });
  recorder.start(commandRef, file);

  const received = new Map<NodeJS.Signals, number>();
  const forward = (signal: NodeJS.Signals): void => {
    const count = (received.get(signal) ?? 0) + 1;
    received.set(signal, count);
    command.kill(count > 1 ? 'SIGKILL' : signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, forward);

  try {
    const [result] = await Promise.all([
      command,
      relayLines(stdoutOnTerminal ? command.stdout : null, spinner, 'stdout'),
      relayLines(animate ? command.stderr : null, spinner, 'stderr'),
    ]);
    const elapsedMs = performance.now() - started;
    recorder.end(commandRef, file, { exitCode: result.exitCode, signal: result.signal });
    const failedToStart = result.failed && result.exitCode === undefined && result.signal === undefined;
    if (failedToStart) {
      await spinner.finish('stop');
      const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
      if (code === 'ENOENT')
        throw new ConcurError(`command not found: ${file} (check the name, or your PATH)`, 127, 'ENOENT');
      if (code === 'EACCES')
        throw new ConcurError(`cannot run ${file}: permission denied (is it executable?)`, 126, 'EACCES');
      throw new ConcurError(`cannot run ${file}: ${result.shortMessage}`, 1, code ?? 'ESPAWN');
    }
    const signal = result.signal as NodeJS.Signals | undefined;
    const exitCode = signal ? signalExitCode(signal) : (result.exitCode ?? 1);
    const seconds = (elapsedMs / 1000).toFixed(1);
    if (exitCode === 0) await spinner.finish('succeed', `${text} finished in ${seconds} s`);
    else
      await spinner.finish(
        'fail',
        signal ? `${text} killed by ${signal} after ${seconds} s` : `${text} exited with code ${exitCode}`,
      );
    return { exitCode, signal, elapsedMs };
  } finally {
    for (const signal of signals) process.off(signal, forward);
  }
}
