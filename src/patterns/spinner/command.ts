/**
 * Spinner over any command: `concur spinner -- <command> [args...]`.
 *
 * The command runs in a process group of its own, so that it and everything it starts can be signalled, and
 * killed, as one. The spinner child draws while it works and doubles as its guardian: if concur dies, even by
 * SIGKILL, the child sees its IPC channel close and kills the whole group. The command is held at a gate until
 * the guardian knows its PID, so there is no moment at which it runs unguarded. Its stdout passes through byte
 * for byte when it is not the terminal the spinner draws on. When the spinner animates, the command's output
 * on the terminal is sent to the child, which prints it above the spinner (a prompt without a newline too).
 *
 * Try: concur spinner -- sh -c 'sleep 1; echo done'
 * Try: concur demo spinner
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
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

/**
 * The gate the command starts behind: a shell that waits for one line on fd 3 and only then becomes the command
 * (exec keeps the PID). If concur dies before it has told the guardian, fd 3 closes unread and the gate exits.
 */
const GATE = 'IFS= read -r go <&3 || exit 125; exec 3<&-; exec "$@"';

/** How long what a command left behind may hold its output pipes after SIGTERM, before SIGKILL. */
const LINGER_MS = 1000;

/** A partial line (a prompt) is shown once it has waited this long for its newline. */
export const PARTIAL_LINE_MS = 50;

// Send a piped stream to the spinner child as it comes: whole lines at once, and a partial line (a prompt
// waiting for an answer) once it has waited PARTIAL_LINE_MS for its newline, so it never hides until Enter.
function relay(stream: Readable | null, spinner: SpinnerProcess, to: 'stdout' | 'stderr'): Promise<void> {
  if (!stream) return Promise.resolve();
  stream.setEncoding('utf8');
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (pending !== '') spinner.log(to, pending);
    pending = '';
  };
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const end = pending.lastIndexOf('\n') + 1;
    if (end > 0) {
      spinner.log(to, pending.slice(0, end));
      pending = pending.slice(end);
    }
    if (pending === '') {
      clearTimeout(timer);
      timer = undefined;
    } else timer ??= setTimeout(flush, PARTIAL_LINE_MS);
  });
  return new Promise((resolve) => {
    stream.once('close', () => {
      flush();
      resolve();
    });
  });
}

// Why a command cannot run, found before starting it, so the gate's shell never reports it in its own words.
function cannotRun(file: string, env: NodeJS.ProcessEnv): ConcurError | undefined {
  const candidates = file.includes('/')
    ? [file]
    : (env.PATH ?? '').split(delimiter).map((dir) => join(dir || '.', file));
  let denied = false;
  for (const path of candidates) {
    try {
      if (!statSync(path).isFile()) continue;
      accessSync(path, constants.X_OK);
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EACCES') denied = true;
    }
  }
  if (denied)
    return new ConcurError(`cannot run ${file}: permission denied (is it executable?)`, 126, 'EACCES');
  return new ConcurError(`command not found: ${file} (check the name, or your PATH)`, 127, 'ENOENT');
}

/**
 * The command's environment. When both its output streams are piped to the spinner's terminal, it cannot see
 * that terminal itself, so it is told the terminal's colour level (FORCE_COLOR), unless colour is off (NO_COLOR)
 * or the user already chose. When stdout goes elsewhere (a file, a pipe) nothing is forced: stdout is data.
 */
export function commandEnv(
  stdoutOnTerminal: boolean,
  policy: TerminalPolicy,
  env: NodeJS.ProcessEnv = process.env,
  colorDepth: number = process.stderr.getColorDepth?.() ?? 1,
): NodeJS.ProcessEnv {
  if (!stdoutOnTerminal || !policy.color || env.FORCE_COLOR !== undefined) return env;
  const level = colorDepth >= 24 ? 3 : colorDepth >= 8 ? 2 : 1;
  return { ...env, FORCE_COLOR: String(level) };
}

/** How a spawned process ended: its code or signal, or the error that kept it from starting. */
interface Ending {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

function ending(child: ChildProcess): Promise<Ending> {
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ exitCode: null, signal: null, error }));
    child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
  });
}

/** Signal a process group, quietly: it may be gone already. */
function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // No process left in the group.
  }
}

/**
 * Run `file args` with a spinner on stderr. Signals concur receives (SIGINT, SIGTERM, SIGHUP) are passed on to
 * the command's whole process group; a second one of the same kind kills the group outright. Ctrl-C on a
 * terminal reaches concur (the command's group is not the terminal's foreground group), which passes it on.
 */
export async function spinCommand(
  file: string,
  args: string[],
  options: SpinCommandOptions = {},
): Promise<SpinCommandResult> {
  const policy = options.policy ?? terminalPolicy(process.stderr);
  const show = options.spinner !== false;
  const animate = show && policy.animate;
  const text = options.text ?? [file, ...args].join(' ');
  const problem = cannotRun(file, process.env);
  if (problem) throw problem;
  const spinner = SpinnerProcess.start({ text, style: options.style, policy, hidden: !show });

  // Pipe a stream through concur only when it shares the spinner's terminal; otherwise it is untouched.
  const stdoutOnTerminal = animate && process.stdout.isTTY === true;
  const started = performance.now();
  const command = spawn('/bin/sh', ['-c', GATE, 'concur', file, ...args], {
    stdio: ['inherit', stdoutOnTerminal ? 'pipe' : 'inherit', animate ? 'pipe' : 'inherit', 'pipe'],
    // A process group of its own (setsid): the command and all it starts are signalled, and killed, together.
    detached: true,
    env: commandEnv(stdoutOnTerminal, policy),
  });
  const ended = ending(command);
  const pid = command.pid;
  const gate = command.stdio[3] as Duplex | null;
  gate?.on('error', () => {});
  // Open the gate only once the guard message has been handed to the OS: from then on, concur's death (even
  // by SIGKILL) reaches the guardian with the PID already in its inbox.
  if (pid !== undefined && gate) spinner.guard(pid, () => gate.end('go\n'));
  const killGroup = (): void => {
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
  };
  process.once('exit', killGroup);
  const commandRef = recorder.child(command, 'command', { file, args });
  recorder.start(commandRef, file);

  const received = new Map<NodeJS.Signals, number>();
  const forward = (signal: NodeJS.Signals): void => {
    const count = (received.get(signal) ?? 0) + 1;
    received.set(signal, count);
    if (pid !== undefined) signalGroup(pid, count > 1 ? 'SIGKILL' : signal);
  };
  // A window resize goes to the terminal's foreground group; the command's group hears it only from concur.
  const resize = (): void => {
    if (pid !== undefined) signalGroup(pid, 'SIGWINCH');
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, forward);
  process.on('SIGWINCH', resize);

  try {
    const relayed = Promise.all([
      relay(stdoutOnTerminal ? command.stdout : null, spinner, 'stdout'),
      relay(animate ? command.stderr : null, spinner, 'stderr'),
    ]);
    const result = await ended;
    const elapsedMs = performance.now() - started;
    // Whatever the command left running in its group (`cmd &`) does not outlive it, and must not hold its
    // output pipes open either: SIGTERM now, SIGKILL if the pipes are still open a second later.
    if (pid !== undefined) signalGroup(pid, 'SIGTERM');
    const lingering = setTimeout(killGroup, LINGER_MS);
    await relayed;
    clearTimeout(lingering);
    recorder.end(commandRef, file, { exitCode: result.exitCode, signal: result.signal });
    if (result.error) {
      await spinner.finish('stop');
      const code = (result.error as NodeJS.ErrnoException).code;
      throw new ConcurError(`cannot run ${file}: ${result.error.message}`, 1, code ?? 'ESPAWN', {
        cause: result.error,
      });
    }
    const signal = result.signal ?? undefined;
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
    process.off('SIGWINCH', resize);
    process.off('exit', killGroup);
  }
}
