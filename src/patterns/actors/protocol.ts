/**
 * The key-value manager's protocols. Clients talk to the manager over a loopback socket, one JSON object per
 * line: a request carries an id and the sender's name, and the reply carries the same id (request/reply).
 * The manager also talks to its parent over IPC: ready (with its address), a trace of every message it
 * received or sent, and stop. Clients of the demo talk to their parent over IPC: go, then done.
 * Try: concur demo actors
 */

/** A stored value: JSON-friendly data only, copied on every send (nothing is shared). */
export type KvValue = string | number | boolean | null | KvValue[] | { [key: string]: KvValue };

/** Client → manager. */
export type KvRequest =
  | { type: 'get'; id: number; from: string; key: string }
  | { type: 'set'; id: number; from: string; key: string; value: KvValue }
  /** Add `by` to a number (missing counts as 0) and reply with the new value: read-modify-write, atomically. */
  | { type: 'incr'; id: number; from: string; key: string; by: number }
  | { type: 'delete'; id: number; from: string; key: string }
  | { type: 'keys'; id: number; from: string };

/** Manager → client: the reply to request `id`. */
export type KvReply =
  | { type: 'value'; id: number; value: KvValue | null }
  | { type: 'keys'; id: number; keys: string[] }
  | { type: 'error'; id: number; message: string };

/** Parent → manager (IPC). */
export type ToManager = { type: 'stop' };

/** Manager → parent (IPC). */
export type FromManager =
  | { type: 'ready'; pid: number; host: string; port: number }
  /** One message the manager received (`in`) or sent (`out`), for the trace. */
  | { type: 'trace'; direction: 'in' | 'out'; peer: string; message: KvRequest | KvReply };

/** Parent → demo client (IPC): start now, all together. */
export type ToKvClient = { type: 'go' };

/** Demo client → parent (IPC). */
export type FromKvClient =
  { type: 'ready'; name: string } | { type: 'done'; name: string; requests: number; lastHits: number };
