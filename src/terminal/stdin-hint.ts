/**
 * The hint for someone who runs a line-reading command on its own in a terminal: it waits for typed lines, and
 * without a word it looks hung. Shared by pipeline, coroutine and fan-out; shown only when stdin is a terminal
 * and stderr one that animates (never in pipes, files or CI).
 */
import { say, stderrPolicy, style } from './output.js';

/** "concur fan-out: reading lines from the terminal; end with Ctrl-D." on stderr, when stdin is a terminal. */
export function hintTerminalInput(command: string): void {
  if (process.stdin.isTTY && stderrPolicy.animate)
    say(style.dim(`concur ${command}: reading lines from the terminal; end with Ctrl-D.`));
}
