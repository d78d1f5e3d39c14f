/**
 * The key-value manager's protocols. Clients talk to the manager over a loopback socket, one JSON object per
 * line: a request carries an id and the sender's name, and the reply carries the same id (request/reply).
 * The manager also talks to its parent over IPC: ready (with its address), a trace of every message it
 * received or sent, and stop. Clients of the demo talk to their parent over IPC: go, then done.
 * Try: concur demo actors
 */
import { isNumber, isString, messageGuard, type Fields } from '../../process/messages.js';

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

// A value the manager can store: JSON data, checked all the way down.
function isKvValue(value: unknown): value is KvValue {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return true;
  if (Array.isArray(value)) return value.every(isKvValue);
  return typeof value === 'object' && Object.values(value as object).every(isKvValue);
}

const request = (m: Fields): boolean => isNumber(m.id) && isString(m.from);

/** A well-formed request from a client (a line on the manager's socket, parsed). */
export const isKvRequest = messageGuard<KvRequest>({
  get: (m) => request(m) && isString(m.key),
  set: (m) => request(m) && isString(m.key) && isKvValue(m.value),
  incr: (m) => request(m) && isString(m.key) && isNumber(m.by),
  delete: (m) => request(m) && isString(m.key),
  keys: request,
});

/** A well-formed reply from the manager. */
export const isKvReply = messageGuard<KvReply>({
  value: (m) => isNumber(m.id) && isKvValue(m.value),
  keys: (m) => isNumber(m.id) && Array.isArray(m.keys) && m.keys.every(isString),
  error: (m) => isNumber(m.id) && isString(m.message),
});

/** A well-formed message from the parent to the manager. */
export const isToManager = messageGuard<ToManager>({ stop: () => true });

/** A well-formed message from the manager to its parent. */
export const isFromManager = messageGuard<FromManager>({
  ready: (m) => isNumber(m.pid) && isString(m.host) && isNumber(m.port),
  trace: (m) =>
    (m.direction === 'in' || m.direction === 'out') &&
    isString(m.peer) &&
    (m.direction === 'in' ? isKvRequest(m.message) : isKvReply(m.message)),
});

/** A well-formed message from the parent to a demo client. */
export const isToKvClient = messageGuard<ToKvClient>({ go: () => true });

/** A well-formed message from a demo client to its parent. */
export const isFromKvClient = messageGuard<FromKvClient>({
  ready: (m) => isString(m.name),
  done: (m) => isString(m.name) && isNumber(m.requests) && isNumber(m.lastHits),
});
