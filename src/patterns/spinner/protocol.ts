/**
 * The whole conversation between a busy parent and its spinner child, in one place.
 * Parent → child: start, update, log, guard, succeed/fail, stop. Child → parent: ready, stats.
 * Both sides import these types, and the guards that check a message's shape at the door (process/messages.ts).
 * Try: concur demo spinner
 */
import { messageGuard } from '../../process/messages.js';

/** How the child draws: ora's dots, or the chapter's `| / - \` with backspaces. */
export type SpinnerStyle = 'ora' | 'classic';

/** Sent by the parent. */
export type ToSpinner =
  | {
      type: 'start';
      text: string;
      style: SpinnerStyle;
      /** Draw frames (stderr is a terminal that allows it); otherwise print a start and a final line only. */
      animate: boolean;
      color: boolean;
      intervalMs: number;
    }
  /** New text, or progress as a fraction 0..1 shown after the text. */
  | { type: 'update'; text?: string; fraction?: number }
  /**
   * Output to print above the spinner, so the two never garble each other: whole lines end with a newline;
   * text without one is a partial line (a prompt), shown at once, and the spinner waits until it is finished.
   */
  | { type: 'log'; stream: 'stdout' | 'stderr'; text: string }
  /**
   * Kill this PID if the parent dies (a wrapped command has no IPC channel of its own); with `group`, its whole
   * process group (the PID is the group's leader), so that nothing the command started survives either.
   */
  | { type: 'guard'; pid: number; group?: boolean }
  /** Finish with a final line: ✔ (succeed) or ✖ (fail). The child then reports stats and exits. */
  | { type: 'succeed'; text: string }
  | { type: 'fail'; text: string }
  /** Finish without a final line. */
  | { type: 'stop' };

/** Timing the child measured about itself, sent just before it exits. */
export interface SpinnerStats {
  /** Frames drawn (or, when not animating, ticks of its frame timer). */
  frames: number;
  /** Whether frames were really drawn on a terminal. */
  animated: boolean;
  /** Gaps between successive frames, in milliseconds (p50, p95, max). */
  intervalP50Ms: number;
  intervalP95Ms: number;
  intervalMaxMs: number;
  /** Milliseconds from the child's start to its first frame. */
  firstFrameMs: number;
  /** CPU time the child used (user + system), in milliseconds. */
  cpuMs: number;
  /** CPU used while spinning (once the renderer is up: start-up excluded), as a percentage of one core. */
  spinCpuPercent: number;
  /** Wall time from start to finish, in milliseconds. */
  wallMs: number;
  /** Every message the child received, by type, in order (for the narrated demo). */
  received: string[];
  /** When the child handled each of those messages, in epoch ms (src/trace/clock.ts), for traces. */
  receivedAt: number[];
  /** When the spinner was turning: runs of frames without a stall, as [from, to] in epoch ms. */
  spinning: [number, number][];
}

/** Sent by the child; `at` is when, in epoch ms (src/trace/clock.ts). */
export type FromSpinner =
  { type: 'ready'; pid: number; at: number } | { type: 'stats'; stats: SpinnerStats; at: number };

/** Is this a message the parent may send? (The child checks every message with it.) */
export const isToSpinner = messageGuard<ToSpinner>(
  ['start', 'update', 'log', 'guard', 'succeed', 'fail', 'stop'],
  (message) =>
    (message.type !== 'log' || typeof message.text === 'string') &&
    (message.type !== 'guard' || typeof message.pid === 'number'),
);

/** Is this a message the child may send? (The parent checks every message with it.) */
export const isFromSpinner = messageGuard<FromSpinner>(['ready', 'stats'], (message) =>
  message.type === 'stats' ? typeof message.stats === 'object' && message.stats !== null : true,
);
