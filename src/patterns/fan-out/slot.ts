/**
 * One worker as the pool (pool.ts) sees it: its slot, the batches it holds, and the three things the pool does
 * with it besides dispatching: send it a batch, turn its answer into a ResultBatch, and stop it. Also the
 * per-item timeout watchdog over all the slots: a worker silent past the timeout while it has work is killed,
 * and its death is handled like any other (isolation, retries).
 * Try: concur demo fan-out
 */
import type { ChildProcess } from 'node:child_process';
import { epochNow } from '../../trace/clock.js';
import { recorder, type ProcessRef } from '../../trace/events.js';
import type { FromFanOutWorker, ToFanOutWorker } from './protocol.js';
import { itemResults, ResultBatch } from './results.js';
import type { Task } from './task.js';

/** A worker process and what the pool knows of it. */
export interface Slot {
  id: number;
  child: ChildProcess;
  pid: number;
  /** How events name this worker: "worker 2" and its PID. */
  ref: ProcessRef;
  ready: boolean;
  /** Batches sent and not yet answered, oldest (the running one) first. */
  inFlight: Task[];
  demonitor: () => void;
  /** When the pool last heard from it (or gave it work while it was idle): its timeout clock (performance.now). */
  heardAt: number;
  /** Set when the pool killed it for running an item past the timeout. */
  timedOut: boolean;
}

/** A worker's answer to one batch. */
export type BatchAnswer = Extract<FromFanOutWorker, { type: 'results' | 'results-text' | 'results-lines' }>;

/** Send `task` to the worker in `slot` (a batch of text lines when no input holds a newline). */
export function sendBatch(slot: Slot, task: Task): void {
  // An idle worker starts this batch now: its timeout clock starts here, and the worker is told when, so it
  // need not say so again unless the batch waited on the way.
  const idle = slot.inFlight.length === 0;
  if (idle) slot.heardAt = performance.now();
  const sentAt = idle ? { sentAt: epochNow() } : {};
  slot.inFlight.push(task);
  const { items } = task;
  const message: ToFanOutWorker = items.bytes
    ? {
        type: 'batch-lines',
        id: task.id,
        bytes: items.bytes,
        ...(task.attempts > 0 && { rerun: true }),
        ...sentAt,
      }
    : items.text !== undefined
      ? { type: 'batch-text', id: task.id, text: items.text, ...sentAt }
      : { type: 'batch', id: task.id, items: items.inputs as string[], ...sentAt };
  if (recorder.enabled)
    task.msg = recorder.send(recorder.self, slot.ref, 'batch', { batch: task.id, items: items.length });
  slot.child.send(message);
}

/** The worker's answer to `task` as a ResultBatch, each item marked with the worker that ran it. */
export function answerBatch(slot: Slot, task: Task, message: BatchAnswer): ResultBatch {
  const attempts = task.attempts + 1;
  const { items } = task;
  if (message.type === 'results-text') {
    const answer = { text: message.text, worker: slot.id, pid: slot.pid, attempts };
    return new ResultBatch(items, answer);
  }
  if (message.type === 'results-lines') {
    const answer = { bytes: message.bytes, worker: slot.id, pid: slot.pid, attempts };
    return new ResultBatch(items, answer);
  }
  return new ResultBatch(items, {
    results: itemResults(items.indexes, items.inputs, message, {
      worker: slot.id,
      pid: slot.pid,
      attempts,
    }),
  });
}

/** The worker's own times for a batch: when the batch reached it, the task itself, and the answer's flight. */
export function recordBatch(slot: Slot, task: Task, message: BatchAnswer): void {
  const batch = { batch: task.id, items: task.items.length };
  recorder.receive(slot.ref, recorder.self, task.msg ?? 0, 'batch', batch, message.receivedAt);
  recorder.task(slot.ref, 'batch', message.startedAt, message.endedAt, batch);
  const failed = message.type === 'results' ? message.failures.length : 0;
  recorder.message(slot.ref, recorder.self, 'results', { ...batch, failed }, message.endedAt);
}

/**
 * Stop the worker in `slot` and resolve when it has exited: an idle one is asked, a `busy` one is killed, and
 * one that does not exit within 2 s is killed too.
 */
export function stopWorker(slot: Slot, busy: boolean): Promise<void> | undefined {
  slot.demonitor();
  const { child } = slot;
  if (child.exitCode !== null || child.signalCode !== null) return undefined;
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // An idle worker exits on 'stop'. A busy one cannot read it until its item ends, and holds nothing worth
    // saving (its batch is abandoned anyway): SIGKILL now, as a loop that never yields ignores the rest.
    if (!busy && child.connected) {
      recorder.send(recorder.self, slot.ref, 'stop');
      child.send({ type: 'stop' } satisfies ToFanOutWorker);
    } else child.kill('SIGKILL');
  });
}

/** How often a worker reports the item it starts, and how often the watchdog looks (0: no timeout). */
export function progressInterval(timeoutMs: number): number {
  return timeoutMs > 0 ? Math.min(1000, Math.max(1, Math.round(timeoutMs / 10))) : 0;
}

/**
 * With a timeout: every progressMs, kill each worker silent for longer than the timeout while it had work.
 * A worker reports before an item whenever it has said nothing for progressMs, so an item that began after
 * the last word has run at least `timeoutMs` when the silence reaches timeoutMs + progressMs: never too soon.
 * Returns the timer (clear it to stop), or undefined without a timeout.
 */
export function startWatchdog(
  slots: readonly Slot[],
  timeoutMs: number,
  progressMs: number,
): NodeJS.Timeout | undefined {
  if (timeoutMs === 0) return undefined;
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const slot of slots)
      if (slot.inFlight.length > 0 && !slot.timedOut && now - slot.heardAt > timeoutMs + progressMs) {
        slot.timedOut = true;
        recorder.emit(recorder.self.role, recorder.self.pid, 'note', { timedOut: slot.ref.role });
        slot.child.kill('SIGKILL');
      }
  }, progressMs);
  watchdog.unref();
  return watchdog;
}
