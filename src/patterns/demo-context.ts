/**
 * What every demo gets: a way to narrate (stderr), to emit events (NDJSON on stdout with --json),
 * to write results (stdout), and its own parsed options.
 */
import { recorder, type EventLog } from '../trace/events.js';
import { say, style, writeLine } from '../terminal/output.js';

/** The demo's window on the world. */
export interface DemoContext {
  /** `--json` was given: stdout carries NDJSON events only. */
  readonly json: boolean;
  /** The demo's own options, as commander parsed them. */
  readonly options: Record<string, unknown>;
  /** The run's event log, the process-wide recorder (demos emit into it; --json prints it). */
  readonly events: EventLog;
  /** Tell the person watching what is happening (stderr). */
  say(text: string): void;
  /** A heading for a step of the demo (stderr). */
  step(title: string): void;
  /** A result line: plain on stdout, or a `result` event with --json. */
  result(line: string, data?: Record<string, unknown>): Promise<void> | undefined;
}

/** Build the context the CLI hands to a demo. */
export function createDemoContext(options: Record<string, unknown>): DemoContext {
  const json = options.json === true;
  const events = recorder;
  if (json) events.subscribe((event) => void writeLine(JSON.stringify(event)));
  return {
    json,
    options,
    events,
    say: (text) => say(text),
    step: (title) => say(style.bold(`\n== ${title}`)),
    result: (line, data) => {
      if (!json) return writeLine(line);
      events.emit('parent', process.pid, 'result', { line, ...data });
      return undefined;
    },
  };
}
