/**
 * The Chrome Trace Event format, which Perfetto (ui.perfetto.dev) and chrome://tracing open: one track per
 * process (named after its role), a slice for its whole life, slices for its tasks, and a flow arrow for every
 * message whose sending and arrival were both recorded.
 * Format: https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU
 */
import type { Life, RunModel } from './model.js';

/** One entry of `traceEvents`. Times are microseconds from the start of the run (`otherData.originEpochMs`). */
export interface TraceEvent {
  name: string;
  /** Phase: X complete slice, i instant, s/f flow start/finish, M metadata. */
  ph: 'X' | 'i' | 's' | 'f' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  /** Flow id: the same on an `s` and its `f`. */
  id?: number;
  /** `e`: the flow ends on the slice enclosing it. */
  bp?: 'e';
  /** Scope of an instant: `t`, this thread. */
  s?: 't';
  args?: Record<string, unknown>;
}

/** A whole trace file, in the JSON Object Format. */
export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, unknown>;
}

// Messages are instants, but a flow arrow needs a slice to attach to: each gets a slice this long (µs).
const BLIP_US = 1;
// Extra tracks (overlapping tasks, a second role in one process) get ids above any Linux PID (max 2^22).
const FIRST_EXTRA_TID = 5_000_000;

interface Slice {
  name: string;
  cat: string;
  from: number;
  to: number;
  args?: Record<string, unknown>;
  /** Set when a flow event must be attached to this slice. */
  flow?: { ph: 's' | 'f'; id: number; name: string };
}

/** Turn a run into a Chrome trace. `otherData` lands in the file's metadata (command, version...). */
export function chromeTrace(model: RunModel, otherData: Record<string, unknown> = {}): ChromeTrace {
  const origin = model.from;
  // Whole microseconds: a child slice then never ends a rounding error after its parent.
  const us = (ms: number): number => Math.round((ms - origin) * 1000);
  const meta: TraceEvent[] = [];
  const body: TraceEvent[] = [];
  let nextTid = FIRST_EXTRA_TID;

  // Arrows: which message numbers have both ends, and when the send happened (a receive never precedes it).
  const flowOf = new Map<number, { name: string; sentUs: number }>();
  for (const flow of model.flows) flowOf.set(flow.msg, { name: flow.type, sentUs: us(flow.send.ts) });

  const processOrder = [...new Set(model.lives.map((life) => life.pid))];
  for (const [index, pid] of processOrder.entries()) {
    const lives = model.lives.filter((life) => life.pid === pid);
    meta.push(
      { name: 'process_name', ph: 'M', pid, tid: pid, args: { name: lives[0]?.role ?? String(pid) } },
      { name: 'process_sort_index', ph: 'M', pid, tid: pid, args: { sort_index: index } },
    );
    let threadIndex = 0;
    for (const life of lives) {
      const lanes = pack(slicesOf(life, us, flowOf));
      for (const [laneIndex, lane] of lanes.entries()) {
        const tid = threadIndex === 0 ? pid : nextTid++;
        const name = laneIndex === 0 ? life.role : `${life.role} (${laneIndex + 1})`;
        meta.push(
          { name: 'thread_name', ph: 'M', pid, tid, args: { name } },
          { name: 'thread_sort_index', ph: 'M', pid, tid, args: { sort_index: threadIndex } },
        );
        threadIndex += 1;
        for (const slice of lane) {
          const event: TraceEvent = {
            name: slice.name,
            cat: slice.cat,
            ph: 'X',
            ts: slice.from,
            dur: slice.to - slice.from,
            pid,
            tid,
          };
          if (slice.args) event.args = slice.args;
          body.push(event);
          if (slice.flow) {
            const { ph, id, name: flowName } = slice.flow;
            const ts = (slice.from + slice.to) / 2;
            body.push({
              name: flowName,
              cat: 'message',
              ph,
              id,
              ts,
              pid,
              tid,
              ...(ph === 'f' ? { bp: 'e' } : {}),
            });
          }
        }
        // Instants (spawn, exit, crash...) go on the life's first track.
        if (laneIndex === 0)
          for (const mark of life.marks) {
            const instant: TraceEvent = {
              name: markName(mark.kind, mark.data),
              cat: mark.kind,
              ph: 'i',
              s: 't',
              ts: us(mark.ts),
              pid,
              tid,
            };
            if (mark.data) instant.args = mark.data;
            body.push(instant);
          }
      }
    }
  }
  body.sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));
  return {
    traceEvents: [...meta, ...body],
    displayTimeUnit: 'ms',
    otherData: { ...otherData, originEpochMs: origin },
  };
}

// Every slice of one life: its lifetime, its tasks, and a short slice per message sent or received.
function slicesOf(
  life: Life,
  us: (ms: number) => number,
  flowOf: Map<number, { name: string; sentUs: number }>,
): Slice[] {
  const slices: Slice[] = [
    {
      name: life.role,
      cat: 'process',
      from: us(life.from),
      to: us(life.to),
      args: { pid: life.pid, ...(life.ended ? { ended: life.ended } : {}) },
    },
  ];
  for (const span of life.spans)
    slices.push({
      name: span.name,
      cat: span.data?.waiting === true ? 'wait' : 'task',
      from: us(span.from),
      to: us(span.to),
      args: span.unfinished ? { ...span.data, unfinished: true } : span.data,
    });
  for (const send of life.sends) {
    const at = us(send.ts);
    const msg = send.data?.msg;
    const flow = typeof msg === 'number' ? flowOf.get(msg) : undefined;
    slices.push({
      name: `send ${String(send.data?.type ?? 'message')}`,
      cat: 'message',
      from: at - BLIP_US,
      to: at,
      args: send.data,
      ...(flow && typeof msg === 'number' ? { flow: { ph: 's' as const, id: msg, name: flow.name } } : {}),
    });
  }
  for (const receive of life.receives) {
    const msg = receive.data?.msg;
    const flow = typeof msg === 'number' ? flowOf.get(msg) : undefined;
    // Clocks of two processes may disagree by a fraction of a millisecond: never draw an arrow backwards.
    const at = Math.max(us(receive.ts), flow ? flow.sentUs : -Infinity);
    slices.push({
      name: `receive ${String(receive.data?.type ?? 'message')}`,
      cat: 'message',
      from: at,
      to: at + BLIP_US,
      args: receive.data,
      ...(flow && typeof msg === 'number' ? { flow: { ph: 'f' as const, id: msg, name: flow.name } } : {}),
    });
  }
  return slices;
}

/**
 * Place slices on as few tracks as possible such that, on each track, slices either nest or follow each other
 * (overlapping without nesting is not allowed on one track). Longer slices first at equal start, so they enclose.
 */
function pack(slices: Slice[]): Slice[][] {
  slices.sort((a, b) => a.from - b.from || b.to - a.to);
  const lanes: { slices: Slice[]; open: number[] }[] = [];
  for (const slice of slices) {
    let lane = lanes.find((candidate) => {
      while (candidate.open.length > 0 && (candidate.open.at(-1) ?? 0) <= slice.from) candidate.open.pop();
      const enclosing = candidate.open.at(-1);
      return enclosing === undefined || slice.to <= enclosing;
    });
    if (!lane) {
      lane = { slices: [], open: [] };
      lanes.push(lane);
    }
    lane.slices.push(slice);
    lane.open.push(slice.to);
  }
  return lanes.map((lane) => lane.slices);
}

// "crash: exit code 1", "exit", "restart"...: a readable instant name.
function markName(kind: string, data: Record<string, unknown> | undefined): string {
  const detail = data?.reason ?? data?.task ?? data?.line;
  return typeof detail === 'string' && detail.length <= 60 ? `${kind}: ${detail}` : kind;
}
