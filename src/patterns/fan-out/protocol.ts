/**
 * The whole conversation between a fan-out pool and one of its worker processes, in one place.
 *
 *   pool → worker: load (which module, the timeout and how often to report progress), batch (items to run),
 *                  stop (exit)
 *   pool → worker: batch-text is a batch whose items are joined into one string (none has a newline), and
 *                  batch-lines one whose items are lines of bytes as read from the input (decoded by `linesOf`,
 *                  or given whole to the module's `chunk` export when it has one)
 *   worker → pool: ready (module loaded), load-failed (bad module: a usage error), results (one per batch),
 *                  or results-text when every item succeeded and the outputs can travel joined, or
 *                  results-lines (the same, as bytes ready to write) for a batch-lines;
 *                  progress (only with a timeout: "item `offset` of batch `id` starts now", or the whole
 *                  batch through `chunk` from item 0, at most every `progressMs`, so the pool can tell an item
 *                  (or a `chunk` call) that runs too long from a batch that is long)
 *
 * A worker runs its batches one at a time, in the order they arrive; the pool relies on that to know which batch
 * was running when a worker died. Both sides share these types and the two guards that check a message's shape
 * before it is used (src/process/messages.ts); nothing else.
 * Try: concur demo fan-out
 */
import { messageGuard } from '../../process/messages.js';

/** Sent by the pool. */
export type ToFanOutWorker =
  /** Load the worker module: a built-in name or a path, resolved against `cwd` (see src/modules/contract.ts). */
  | {
      type: 'load';
      spec: string;
      cwd: string;
      /** How long the module may take to load (default 10 s). */
      loadTimeoutMs?: number;
      /**
       * With a timeout: before an item, say `progress` if nothing was sent for this long (counted, after
       * idling, from the batch's `sentAt`). 0: never (no timeout, no cost).
       */
      progressMs: number;
      /**
       * With a timeout, the timeout itself: a batch goes whole through the module's `chunk` export only if the
       * call ends within it (the pool kills a worker silent for longer, as for an item). 0 or absent: none.
       */
      timeoutMs?: number;
    }
  /**
   * Run `items` through the module, in order, and answer with one `results` message carrying the same `id`.
   * `sentAt` (on every kind of batch): sent to an idle worker, the pool's timeout clock started then (epoch ms).
   */
  | { type: 'batch'; id: number; items: string[]; sentAt?: number }
  /** The same, for items without newlines, joined with '\n': one string crosses instead of thousands. */
  | { type: 'batch-text'; id: number; text: string; sentAt?: number }
  /**
   * The same, for lines as they were read: UTF-8 bytes, each line ending in \n (the last one perhaps not).
   * The pool never splits them; the worker does, with `linesOf`. `rerun`: an item of a batch whose worker
   * died, run again; with a timeout it goes to the default export, never to `chunk`, so it is timed alone.
   */
  | { type: 'batch-lines'; id: number; bytes: Uint8Array; rerun?: boolean; sentAt?: number }
  /** No more batches: exit. The pool sends it only when no batch of this worker is unanswered. */
  | { type: 'stop' };

/** One item that failed: its position in the batch and a one-line reason. */
export interface ItemFailure {
  offset: number;
  message: string;
}

/** When the worker got a batch, began it and finished it, in epoch ms (src/trace/clock.ts): for traces. */
export interface BatchTimes {
  receivedAt: number;
  startedAt: number;
  endedAt: number;
}

/** Sent by the worker. */
export type FromFanOutWorker =
  /** The module loaded and has a default export function: send work. */
  | { type: 'ready'; pid: number }
  /** The module cannot be used (missing, syntax error, no default function); the worker exits after this. */
  | { type: 'load-failed'; message: string }
  | ({
      type: 'results';
      id: number;
      /** One entry per item; `null` where the item failed (see `failures`). */
      outputs: (string | null)[];
      /** Items whose function threw, rejected or returned something other than a string. */
      failures: ItemFailure[];
      /** Milliseconds the worker spent on the batch (the pool sizes later batches from it). */
      busyMs: number;
      /** The worker's resident memory after the batch, in bytes (to show it stays flat). */
      rss: number;
    } & BatchTimes)
  /** Every item succeeded and no output has a newline: the outputs joined with '\n' (the fast path). */
  | ({ type: 'results-text'; id: number; text: string; busyMs: number; rss: number } & BatchTimes)
  /**
   * The answer to a batch-lines when every item succeeded and no output has a newline: the outputs as UTF-8,
   * each followed by \n, written to the output as they are.
   */
  | ({ type: 'results-lines'; id: number; bytes: Uint8Array; busyMs: number; rss: number } & BatchTimes)
  /** Item `offset` of batch `id` starts now (sent only when the pool asked for it: see `load`). */
  | { type: 'progress'; id: number; offset: number };

const isString = (value: unknown): boolean => typeof value === 'string';
const isNumber = (value: unknown): boolean => typeof value === 'number';
const isBytes = (value: unknown): boolean => value instanceof Uint8Array;

/**
 * The items of a batch-lines: its bytes decoded as UTF-8 (an invalid byte becomes U+FFFD) and split on \n.
 * Both sides decode with it, so the input the pool reports for an item is the one its worker was given.
 */
export function linesOf(bytes: Uint8Array): string[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = buffer[buffer.length - 1] === 10 ? buffer.length - 1 : buffer.length;
  return buffer.toString('utf8', 0, end).split('\n');
}

/** A well-formed message from the pool (what a worker accepts). Items are checked as an array, not one by one. */
export const isToFanOutWorker = messageGuard<ToFanOutWorker>(
  ['load', 'batch', 'batch-text', 'batch-lines', 'stop'],
  (m) => {
    switch (m.type) {
      case 'load':
        return isString(m.spec) && isString(m.cwd) && isNumber(m.progressMs);
      case 'batch':
        return isNumber(m.id) && Array.isArray(m.items);
      case 'batch-text':
        return isNumber(m.id) && isString(m.text);
      case 'batch-lines':
        return isNumber(m.id) && isBytes(m.bytes);
      default:
        return true;
    }
  },
);

/** A well-formed message from a worker (what the pool accepts). */
export const isFromFanOutWorker = messageGuard<FromFanOutWorker>(
  ['ready', 'load-failed', 'results', 'results-text', 'results-lines', 'progress'],
  (m) => {
    switch (m.type) {
      case 'ready':
        return isNumber(m.pid);
      case 'load-failed':
        return isString(m.message);
      case 'results':
        return isNumber(m.id) && Array.isArray(m.outputs) && Array.isArray(m.failures) && isNumber(m.busyMs);
      case 'progress':
        return isNumber(m.id) && isNumber(m.offset);
      case 'results-lines':
        return isNumber(m.id) && isBytes(m.bytes) && isNumber(m.busyMs);
      default:
        return isNumber(m.id) && isString(m.text) && isNumber(m.busyMs);
    }
  },
);
