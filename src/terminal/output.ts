/**
 * The one module that decides what goes where. stdout is data; stderr is for people.
 * Animation and colour are allowed only on a real terminal, never under CI or TERM=dumb;
 * NO_COLOR and FORCE_COLOR are honoured. A closed stdout (`| head -1`) ends concur quietly; any other failure
 * to write it (a full disk, an I/O error, a descriptor not open for writing) is one line and exit 1.
 * User code that runs in a data process writes to stderr, never into the data (`isolateUserOutput`).
 */
import { terminalPolicy, type TerminalPolicy } from './policy.js';
import { OutputError } from '../process/errors.js';
import { runStdoutClosedHandlers, whenStdoutCloses } from '../process/stdout-closed.js';
import { dataOut } from './streams.js';

export { dataOut, isolateUserOutput } from './streams.js';

export { terminalPolicy, type TerminalPolicy };

/** The few colours concur's own lines use; each paints only when the policy allows. */
export interface Style {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

// Written out rather than loaded from chalk: every command and `concur --help` start with this module, and
// chalk costs more start-up time than the five escape pairs it would give here.
const ansi = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const colours: Style = {
  red: ansi(31, 39),
  green: ansi(32, 39),
  yellow: ansi(33, 39),
  dim: ansi(2, 22),
  bold: ansi(1, 22),
};
const plain: Style = { red: String, green: String, yellow: String, dim: String, bold: String };

/** Colours that paint only when the policy allows. */
export function paint(policy: TerminalPolicy): Style {
  return policy.color ? colours : plain;
}

/** What concur may do on stderr, decided at start-up. */
export const stderrPolicy: TerminalPolicy = terminalPolicy(process.stderr, process.env);
/** Colours for narration on stderr. */
export const style: Style = paint(stderrPolicy);

/** Write a line for people on stderr (narration, warnings, final summaries). */
export function say(line: string): void {
  process.stderr.write(line.endsWith('\n') ? line : `${line}\n`);
}

/** Write one error line on stderr, in red when colour is allowed. */
export function sayError(message: string): void {
  say(style.red(`concur: ${message}`));
}

/**
 * One line on stderr that is redrawn in place: a progress count, a worker host's status. It draws only when the
 * policy says stderr animates (a terminal, not CI); otherwise `draw` does nothing. Call `clear` before writing
 * anything else on stderr, so a message never lands in the middle of the line.
 */
export class StatusLine {
  private shown = false;

  constructor(private readonly policy: TerminalPolicy = stderrPolicy) {}

  /** Whether this line is drawn at all. */
  get animates(): boolean {
    return this.policy.animate;
  }

  /** Replace the line with `text`, dimmed and cut to the terminal's width. */
  draw(text: string): void {
    if (!this.policy.animate) return;
    process.stderr.write(`\r\u001b[K${style.dim(text.slice(0, this.policy.columns - 1))}`);
    this.shown = true;
  }

  /** Erase the line, if it is showing. */
  clear(): void {
    if (this.shown) process.stderr.write('\r\u001b[K');
    this.shown = false;
  }
}

let epipeInstalled = false;

/**
 * Node ignores SIGPIPE, so a reader that goes away (`| head -1`) shows up as an EPIPE error on stdout.
 * Treat it as "the consumer has all it wants": run the handlers (stop children; wait, at most 3 s, for those that
 * clean up elsewhere, such as a broker run's keys), then exit 0 quietly.
 * Any other error writing stdout (ENOSPC, EIO, EBADF) runs the same handlers, then says so in one line and
 * exits 1: the output is incomplete, and no stage or worker is to blame.
 */
export function onStdoutClosed(handler: () => void | Promise<unknown>): () => void {
  installEpipe();
  return whenStdoutCloses(handler);
}

function installEpipe(): void {
  if (epipeInstalled) return;
  epipeInstalled = true;
  let closing = false;
  dataOut.on('error', (error: NodeJS.ErrnoException) => {
    // Later writes fail too: the first error decides.
    if (closing) return;
    closing = true;
    void runStdoutClosedHandlers().then(() => {
      if (error.code === 'EPIPE') process.exit(0);
      sayError(new OutputError('stdout', error).message);
      process.exit(1);
    });
  });
}

/**
 * Write data to stdout, honouring backpressure: resolves when the kernel has room again.
 * Use for results; never for narration.
 */
export function writeData(chunk: string | Uint8Array): Promise<void> | undefined {
  installEpipe();
  if (dataOut.write(chunk)) return undefined;
  return new Promise((resolve) => dataOut.once('drain', resolve));
}

/** Write one data line (a newline is added). */
export function writeLine(line: string): Promise<void> | undefined {
  return writeData(`${line}\n`);
}
