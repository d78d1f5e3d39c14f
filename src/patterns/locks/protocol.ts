/**
 * What the locks demo's parts say to each other. Writer threads share a log in a SharedArrayBuffer (only
 * their set-up and a `done` cross as messages). Peer processes never share anything: each talks to the
 * other through the parent, which relays `say` messages, so a reader sees every message that could be
 * waited for.
 * Read it to learn every message the demo's threads and processes exchange.
 * Try: concur demo locks
 */
import { messageGuard } from '../../process/messages.js';

/** Slots of the writers' control array (Int32). */
export const LOCK = 0;
export const CURSOR = 1;
export const START = 2;
export const CONTROL_SLOTS = 3;

/** A writer thread's start-up data. */
export interface WriterData {
  /** This writer's number, printed in its lines. */
  id: number;
  /** Lines to write, one character at a time (as a print does, in pieces). */
  lines: number;
  /** Take the mutex around each line, or not. */
  locked: boolean;
  /** Int32 slots: LOCK (the mutex), CURSOR (next free byte), START (the barrier every writer waits on). */
  control: SharedArrayBuffer;
  /** The shared output: bytes, appended at CURSOR. */
  log: SharedArrayBuffer;
}

/** Writer thread → parent. */
export type FromWriter = { type: 'ready' } | { type: 'done' };

/** Parent → peer process. */
export type ToPeer =
  /** Begin: `speakFirst` sends before waiting; a peer waits at most `timeoutMs` for the other's message. */
  | { type: 'start'; name: string; other: string; speakFirst: boolean; timeoutMs: number }
  /** A message from the other peer, relayed by the parent. */
  | { type: 'message'; from: string; text: string };

/** Peer process → parent. */
export type FromPeer =
  | { type: 'ready'; pid: number }
  /** Relay `text` to the other peer. */
  | { type: 'say'; text: string }
  /** How the peer's wait ended: it heard the other (and what), or it gave up after `timeoutMs`. */
  | { type: 'outcome'; heard: string | null; waitedMs: number };

export const isToPeer = messageGuard<ToPeer>(['start', 'message']);
export const isFromPeer = messageGuard<FromPeer>(['ready', 'say', 'outcome']);
