/**
 * The conversations of the server demo. Over TCP (lines of text): a client sends `fib <n>` and gets
 * `working on fib(<n>)` at once, then `fib(<n>) = <value>`; or sends `ping` and gets `pong`. Over IPC: the
 * server's process pool hands `job`s to its workers and gets `result`s back; the demo's client process is
 * told where to connect and reports what it saw.
 * Read it to learn every conversation of the demo, over TCP and over IPC.
 * Try: concur demo server
 */
import { messageGuard } from '../../process/messages.js';

/** Parent → pool worker. */
export type ToPoolWorker = { type: 'job'; id: number; n: number };

/** Pool worker → parent. */
export type FromPoolWorker = { type: 'ready'; pid: number } | { type: 'result'; id: number; value: number };

/** Parent → client process: connect to `port`, ask for fib(n) on one connection, ping on the others. */
export type ToClient = { type: 'start'; port: number; n: number; pingers: number; pings: number };

/** Client process → parent. */
export type FromClient =
  | { type: 'ready'; pid: number }
  /** `answer`: the fib line; `longestPingMs`: the slowest ping round trip, which shows a stall. */
  | { type: 'report'; answer: string; pongs: number; longestPingMs: number };

export const isToPoolWorker = messageGuard<ToPoolWorker>(['job']);
export const isFromPoolWorker = messageGuard<FromPoolWorker>(['ready', 'result']);
export const isToClient = messageGuard<ToClient>(['start']);
export const isFromClient = messageGuard<FromClient>(['ready', 'report']);
