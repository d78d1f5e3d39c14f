/**
 * The one module that decides what goes where. stdout is data; stderr is for people.
 * Animation and colour are allowed only on a real terminal, never under CI or TERM=dumb;
 * NO_COLOR and FORCE_COLOR are honoured. A closed stdout (`| head -1`) ends concur quietly.
 */
/** What the terminal on a stream allows. */
export interface TerminalPolicy {
  /** Spinners and progress may redraw a line (escape codes allowed). */
  readonly animate: boolean;
  /** Colour escape codes may be written. */
  readonly color: boolean;
  /** Width to draw into; 80 when unknown. */
  readonly columns: number;
}

type Env = Record<string, string | undefined>;

interface TtyLike {
  isTTY?: boolean;
  columns?: number;
}

// CI is "set" as any non-empty value but "false" or "0", the way most CI tools read it.
function flag(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** Decide, once, what a stream may show. Pure: tests pass their own stream and env. */
export function terminalPolicy(stream: TtyLike = process.stderr, env: Env = process.env): TerminalPolicy {
  const columns = stream.columns ?? 0;
  const interactive = stream.isTTY === true && !flag(env.CI) && env.TERM !== 'dumb';
  // ora spins forever on a terminal that reports 0 columns: such a terminal gets no animation.
  const animate = interactive && columns > 0;
  let color = interactive;
  if (env.FORCE_COLOR !== undefined) color = env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  // NO_COLOR wins over everything when it is set and non-empty (no-color.org).
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') color = false;
  return { animate, color, columns: columns > 0 ? columns : 80 };
}

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

type EpipeHandler = () => void;
let epipeHandlers: EpipeHandler[] = [];
let epipeInstalled = false;

/**
 * Node ignores SIGPIPE, so a reader that goes away (`| head -1`) shows up as an EPIPE error on stdout.
 * Treat it as "the consumer has all it wants": run the handlers (stop children), then exit 0 quietly.
 */
export function onStdoutClosed(handler: EpipeHandler): () => void {
  installEpipe();
  epipeHandlers.push(handler);
  return () => {
    epipeHandlers = epipeHandlers.filter((h) => h !== handler);
  };
}

function installEpipe(): void {
  if (epipeInstalled) return;
  epipeInstalled = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    for (const handler of epipeHandlers) handler();
    process.exit(0);
  });
}

/**
 * Write data to stdout, honouring backpressure: resolves when the kernel has room again.
 * Use for results; never for narration.
 */
export function writeData(chunk: string | Uint8Array): Promise<void> | undefined {
  installEpipe();
  if (process.stdout.write(chunk)) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

/** Write one data line (a newline is added). */
export function writeLine(line: string): Promise<void> | undefined {
  return writeData(`${line}\n`);
}
