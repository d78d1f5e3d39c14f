/**
 * What a terminal allows, as a pure decision: animation and colour only on a real terminal with a width,
 * never under CI or TERM=dumb; NO_COLOR and FORCE_COLOR are honoured. Kept apart from output.ts (which loads
 * chalk and decides once, at start-up, for concur's own stderr) so the library can ask without either.
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
