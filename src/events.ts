/**
 * Events: what happened, when, in which process. Demos narrate to people on stderr and, with `--json`,
 * emit the same story as NDJSON events on stdout for tools (`concur demo spinner --json | jq`).
 */
import { writeLine } from './output.js';

/** The kinds of thing that happen in a concurrent run. */
export type EventKind =
  'spawn' | 'send' | 'receive' | 'start' | 'end' | 'crash' | 'restart' | 'exit' | 'result' | 'note';

/** One event, one NDJSON line. */
export interface ConcurEvent {
  /** Milliseconds since the run began. */
  t: number;
  /** Which process: its role ("parent", "spinner", "worker 2", ...) and PID. */
  role: string;
  pid: number;
  kind: EventKind;
  /** What the event is about: a message, a result, an exit code... */
  data?: Record<string, unknown>;
}

/** Collects events and hands each one to the listeners (stdout NDJSON, files, timelines). */
export class EventLog {
  readonly startedAt = performance.now();
  private readonly listeners: ((event: ConcurEvent) => void)[] = [];

  /** Record an event now. */
  emit(role: string, pid: number, kind: EventKind, data?: Record<string, unknown>): ConcurEvent {
    const event: ConcurEvent = {
      t: Math.round((performance.now() - this.startedAt) * 1000) / 1000,
      role,
      pid,
      kind,
    };
    if (data) event.data = data;
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** Call `listener` for every event from now on. */
  subscribe(listener: (event: ConcurEvent) => void): void {
    this.listeners.push(listener);
  }
}

/** Print every event of `log` as one JSON line on stdout. */
export function eventsToStdout(log: EventLog): void {
  log.subscribe((event) => void writeLine(JSON.stringify(event)));
}
