/**
 * The whole conversation between concur and each pipeline stage, in one place.
 * Data never travels here: lines flow stage to stage over OS pipes (stdin → stdout), where the kernel gives
 * backpressure for free. This IPC channel carries only control: the handshake, the end-of-input decision,
 * failures with their line number, and each stage's own statistics.
 *
 *   parent                         stage
 *      ◄── ready | load-failed ──     (module imported, or why not: exit 2 before any input is read)
 *      ── start ──►                   (every stage loaded: begin reading stdin)
 *      ◄── progress ──                (optional, every progressMs)
 *      ◄── eof ──                     (stdin ended: may I flush?)
 *      ── flush | abort ──►           (flush only when the stage upstream finished cleanly)
 *      ◄── done | failed | output-closed | output-failed | input-failed
 *
 * A stage that ends any other way (its code calls process.exit, or it is killed) has failed: concur learns it
 * from the process's exit, and the run fails too.
 *
 * Both sides import these types, and the guards below that check a message before it is acted on.
 * Try: concur demo pipeline
 */
import { messageGuard } from '../../process/messages.js';

/** Sent by concur to a stage. */
export type ToStage =
  /** All stages loaded their modules: start reading stdin (and report progress every `progressMs`, if set). */
  | { type: 'start'; progressMs?: number }
  /** End of input was genuine: call `flush()`, write its lines, report `done` and exit. */
  | { type: 'flush' }
  /** End of input came from a failure upstream: skip `flush()` (its aggregate would be wrong), report `done`. */
  | { type: 'abort' };

/** What a stage measured about itself, sent just before it exits. */
export interface StageStats {
  /** Lines read from stdin (a last line without a newline counts). */
  linesIn: number;
  /** Lines written to stdout, including those from `flush()`. */
  linesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Peak resident memory of the stage process (VmHWM from /proc/self/status), in KiB; 0 where unknown. */
  peakRssKb: number;
  /** CPU time the stage used (user + system), in milliseconds. */
  cpuMs: number;
  /** Milliseconds from `start` to the end of its output. */
  wallMs: number;
  /** Milliseconds after `start` when its first input arrived and when its input ended (for the demo). */
  firstInputMs: number;
  endOfInputMs: number;
  /** When `start` arrived, in epoch ms (src/trace/clock.ts): the times above count from it (for traces). */
  startedAt: number;
}

/** Sent by a stage to concur. */
export type FromStage =
  /** The module loaded and has the right shape; the stage waits for `start`. */
  | { type: 'ready'; pid: number }
  /** The module is missing, does not parse, or has no default function. A usage error (exit 2). */
  | { type: 'load-failed'; message: string }
  /** Counts so far, sent every `progressMs` while running when `start` asked for it (the demo shows them). */
  | { type: 'progress'; linesIn: number; linesOut: number }
  /** stdin ended; the stage waits for `flush` or `abort`. */
  | { type: 'eof' }
  /** All output written (and flushed, unless aborted). The stage exits 0 next. */
  | { type: 'done'; stats: StageStats }
  /**
   * The stage's code threw (or returned something that is not a line) on input line `line` (1-based), or in
   * `flush()` when `line` is null. The stage exits 1 next.
   */
  | { type: 'failed'; line: number | null; excerpt: string; message: string }
  /** Whoever reads this stage's stdout went away (`| head -1`). Not an error: the pipeline should end. */
  | { type: 'output-closed' }
  /**
   * Writing stdout failed for another reason than a reader gone (`message`: "no space left on device
   * (ENOSPC)"). The output's failure, not the stage's: the stage exits 1 next.
   */
  | { type: 'output-failed'; message: string }
  /** Reading stdin failed (a directory, an I/O error); `message` as for output-failed. The stage exits 1 next. */
  | { type: 'input-failed'; message: string };

/** True for a well-formed message from concur to a stage. */
export const isToStage = messageGuard<ToStage>(['start', 'flush', 'abort']);

/** True for a well-formed message from a stage to concur. */
export const isFromStage = messageGuard<FromStage>([
  'ready',
  'load-failed',
  'progress',
  'eof',
  'done',
  'failed',
  'output-closed',
  'output-failed',
  'input-failed',
]);
