/**
 * Deadlock: each of two parties waits for the other, so neither ever goes on. Two shapes of it:
 * - tasks on the cooperative scheduler that each wait for the other to exit (the scheduler sees that every
 *   task is blocked on another task and nothing outside can wake one, and says so);
 * - two processes that each wait for the other's message before sending their own (nothing can see that:
 *   both are just quietly waiting, so only a timeout turns the hang into something you can act on).
 * The cures: an order (the waits never form a cycle: one side speaks first, or tasks only wait for tasks
 * started after them) and timeouts (a wait that can give up cannot hang for good).
 * Use it when two parties wait on each other: give them an order, or give every wait a timeout.
 * Try: concur demo locks
 */
import { fileURLToPath } from 'node:url';
import { forkChild } from '../../process/children.js';
import { receiveFrom } from '../../process/messages.js';
import { terminate } from '../../process/supervision.js';
import { recorder } from '../../trace/events.js';
import { Scheduler, getTid, waitTask, type TaskBody } from '../scheduler/scheduler.js';
import { isFromPeer, type ToPeer } from './protocol.js';

/** The peer process's entry point. */
export const peerChildPath = fileURLToPath(new URL('./peer.child.js', import.meta.url));

/**
 * Two scheduler tasks, 1 and 2. Task 1 waits for task 2 to exit; task 2 waits for task 1 too, unless
 * `ordered`, when it only does its work (waits go one way: never a cycle). Resolves with what happened,
 * one line per event.
 */
export async function tasksWaitingOnEachOther(ordered: boolean): Promise<string[]> {
  const lines: string[] = [];
  function* party(other: number, waits: boolean): TaskBody<void> {
    const tid = yield* getTid();
    if (waits) {
      lines.push(`task ${tid} waits for task ${other}`);
      yield* waitTask(other);
    }
    lines.push(`task ${tid} done`);
  }
  const scheduler = new Scheduler({ label: ordered ? 'ordered' : 'deadlock' });
  scheduler.spawn(party(2, true));
  scheduler.spawn(party(1, !ordered));
  try {
    await scheduler.run();
  } catch (error) {
    lines.push(error instanceof Error ? error.message : String(error));
  }
  return lines;
}

/** How one peer's wait ended. */
export interface PeerOutcome {
  name: string;
  pid: number;
  /** The other's message, or null when the peer gave up waiting. */
  heard: string | null;
  waitedMs: number;
}

/**
 * Fork two peers, `a` and `b`, which talk only through this process (it relays each `say`). Each waits at
 * most `timeoutMs` for the other's message; `aSpeaksFirst` decides whether `a` sends before it waits.
 */
export async function peersTalk(aSpeaksFirst: boolean, timeoutMs: number): Promise<PeerOutcome[]> {
  const names = ['a', 'b'] as const;
  const children = names.map((name) => {
    const child = forkChild(peerChildPath);
    recorder.child(child, `peer ${name}`);
    return child;
  });
  const relay = (to: number, message: ToPeer): void => {
    const child = children[to];
    if (child?.connected) child.send(message);
  };
  let ready = 0;
  const outcomes = await Promise.all(
    children.map(
      (child, i) =>
        new Promise<PeerOutcome>((resolve, reject) => {
          const name = names[i] ?? '?';
          child.on('error', reject);
          child.on('exit', () => reject(new Error(`peer ${name} exited before it said how its wait ended`)));
          receiveFrom(child, isFromPeer, (message) => {
            switch (message.type) {
              case 'ready':
                // Start both only once both are listening, or b could hear a before it knows its own name.
                if (++ready === names.length)
                  names.forEach((me, j) =>
                    relay(j, {
                      type: 'start',
                      name: me,
                      other: names[1 - j] ?? '?',
                      speakFirst: j === 0 && aSpeaksFirst,
                      timeoutMs,
                    }),
                  );
                return;
              case 'say':
                relay(1 - i, { type: 'message', from: name, text: message.text });
                return;
              case 'outcome':
                resolve({ name, pid: child.pid ?? 0, heard: message.heard, waitedMs: message.waitedMs });
                return;
              default: {
                const unknown: never = message;
                reject(new Error(`unknown message from peer ${name}: ${JSON.stringify(unknown)}`));
              }
            }
          });
        }),
    ),
  );
  await Promise.all(children.map((child) => terminate(child)));
  return outcomes;
}
