/**
 * From an event stream to a picture of the run: which processes lived and when, what each was busy with, and
 * which messages crossed between them. The Chrome trace writer and the terminal timeline both draw from this.
 */
import type { ConcurEvent, ProcessRef } from './events.js';

/** A task or stage: `start` and `end` events paired up. Times are epoch ms. */
export interface Span {
  name: string;
  from: number;
  to: number;
  data?: Record<string, unknown>;
  /** The run ended (or the process died) before the task did. */
  unfinished?: boolean;
}

/** One process in one role, from its spawn (or first sign of life) to its exit, crash or the end of the run. */
export interface Life {
  role: string;
  pid: number;
  from: number;
  to: number;
  /** How it ended, if it did before the run was over. */
  ended?: 'exit' | 'crash';
  spans: Span[];
  /** Instants: spawn, exit, crash, restart, note, result. */
  marks: ConcurEvent[];
  sends: ConcurEvent[];
  receives: ConcurEvent[];
}

/** A message whose sending and receiving were both recorded. */
export interface Flow {
  msg: number;
  type: string;
  send: ConcurEvent;
  receive: ConcurEvent;
}

/** The whole run, in epoch ms. */
export interface RunModel {
  from: number;
  to: number;
  /** In order of first appearance (the recording process first). */
  lives: Life[];
  flows: Flow[];
}

/** The recording process and the span of the run, which events alone may not show. */
export interface RunBounds {
  from: number;
  to: number;
  self: ProcessRef;
}

const taskKey = (data: Record<string, unknown> | undefined): string =>
  `${String(data?.task ?? '')}\u0000${String(data?.span ?? '')}`;

/** Build the model of a run from its events (in any order). */
export function buildModel(events: readonly ConcurEvent[], bounds: RunBounds): RunModel {
  const sorted = [...events].sort((a, b) => a.ts - b.ts);
  let from = bounds.from;
  let to = bounds.to;
  for (const event of sorted) {
    from = Math.min(from, event.ts);
    to = Math.max(to, event.ts);
  }

  const lives = new Map<string, Life>();
  const open = new Map<Life, Map<string, ConcurEvent[]>>();
  const lifeOf = (role: string, pid: number, ts: number): Life => {
    const key = `${pid}\u0000${role}`;
    let life = lives.get(key);
    if (!life) {
      const isSelf = pid === bounds.self.pid && role === bounds.self.role;
      life = { role, pid, from: isSelf ? from : ts, to, spans: [], marks: [], sends: [], receives: [] };
      lives.set(key, life);
      open.set(life, new Map());
    }
    return life;
  };
  // The recording process is always there, even when nothing else was recorded.
  lifeOf(bounds.self.role, bounds.self.pid, from);

  const sends = new Map<number, ConcurEvent>();
  const receives: ConcurEvent[] = [];
  for (const event of sorted) {
    const life = lifeOf(event.role, event.pid, event.ts);
    switch (event.kind) {
      case 'spawn':
        life.from = Math.min(life.from, event.ts);
        life.marks.push(event);
        break;
      case 'exit':
      case 'crash':
        if (life.ended === undefined) {
          life.to = event.ts;
          life.ended = event.kind;
        }
        life.marks.push(event);
        break;
      case 'start': {
        const starts = open.get(life)!;
        const key = taskKey(event.data);
        starts.set(key, [...(starts.get(key) ?? []), event]);
        break;
      }
      case 'end': {
        const stack = open.get(life)!.get(taskKey(event.data));
        const start = stack?.pop();
        if (start) life.spans.push(span(start, event.ts, event.data));
        else life.marks.push(event);
        break;
      }
      case 'send':
        life.sends.push(event);
        if (typeof event.data?.msg === 'number') sends.set(event.data.msg, event);
        break;
      case 'receive':
        life.receives.push(event);
        receives.push(event);
        break;
      case 'restart':
      case 'result':
      case 'note':
        life.marks.push(event);
        break;
      default: {
        const unknown: never = event.kind;
        throw new Error(`unknown event kind ${String(unknown)}`);
      }
    }
  }

  // Tasks still open when their process (or the run) ended.
  for (const [life, starts] of open)
    for (const stack of starts.values())
      for (const start of stack) life.spans.push({ ...span(start, life.to, start.data), unfinished: true });
  for (const life of lives.values()) life.spans.sort((a, b) => a.from - b.from || b.to - a.to);

  const flows: Flow[] = [];
  for (const receive of receives) {
    const msg = receive.data?.msg;
    const send = typeof msg === 'number' ? sends.get(msg) : undefined;
    if (send && typeof msg === 'number')
      flows.push({ msg, type: String(receive.data?.type ?? send.data?.type ?? 'message'), send, receive });
  }
  return { from, to, lives: [...lives.values()], flows };
}

function span(start: ConcurEvent, to: number, endData: Record<string, unknown> | undefined): Span {
  const data = endData && endData !== start.data ? { ...start.data, ...endData } : start.data;
  return { name: String(start.data?.task ?? 'task'), from: start.ts, to: Math.max(to, start.ts), data };
}

/** One timeline row: a role, and the successive processes that held it (a restarted worker keeps its row). */
export interface Row {
  role: string;
  lives: Life[];
}

/**
 * Group lives into rows: one per process, except that a process taking over a role after the previous holder
 * died (a restart) continues that role's row, so the gap shows as dead time.
 */
export function rowsOf(model: RunModel): Row[] {
  const rows: Row[] = [];
  for (const life of model.lives) {
    const row = rows.find((candidate) => {
      const last = candidate.lives.at(-1);
      return candidate.role === life.role && last?.ended !== undefined && last.to <= life.from;
    });
    if (row) row.lives.push(life);
    else rows.push({ role: life.role, lives: [life] });
  }
  return rows;
}
