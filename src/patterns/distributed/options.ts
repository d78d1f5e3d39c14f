/**
 * What a caller gives the distributed coordinator (coordinator.ts) and what it hears back while a run goes on:
 * the options of `map` and `stream`, and the events for progress and narration.
 * Try: concur demo distributed
 */
import type { BrokerTimeouts } from './redis.js';

/** Options for the distributed `map` and `stream`. */
export interface DistributedMapOptions {
  /** The broker's URL: `redis://[user:pass@]host:6379[/db]`, or `rediss://` for TLS. */
  broker: string;
  /** The queue the worker hosts pull from (default `concur`). */
  queue?: string;
  /** Results in input order (default), or as they finish. */
  ordered?: boolean;
  /** How many more times a batch is tried on another host when a host fails it (default 1). */
  retries?: number;
  /**
   * The most lines in one batch (default 65,536) and the most characters (default 1 MiB: larger jobs buy
   * little, and Redis keeps a connection's buffer as large as the largest command for a while).
   */
  maxBatch?: number;
  maxBatchChars?: number;
  /** How long one batch should take on a host; batches are sized from measured times (default 200 ms). */
  targetBatchMs?: number;
  /**
   * The most batches sent and not yet yielded (queued, running or in the reorder buffer; default 32). Their
   * input is bounded too, at 64 Mi characters.
   */
  window?: number;
  /** Called with what happens on the way (for progress and narration). */
  onEvent?: (event: CoordinatorEvent) => void;
  /**
   * Stop early (Ctrl-C): the run rejects with ConcurError 'stopped.' (the signal's reason as its cause) and takes
   * back the batches not yet started.
   */
  signal?: AbortSignal;
  timeouts?: BrokerTimeouts;
}

/** What the coordinator tells its caller while it runs. */
export type CoordinatorEvent =
  | { type: 'connected'; broker: string; queue: string; run: string }
  | { type: 'sent'; jobId: string; first: number; count: number }
  | { type: 'done'; jobId: string; host: string; count: number; elapsedMs: number }
  | { type: 'stalled'; jobId: string }
  | { type: 'failed'; jobId: string; reason: string }
  /** No worker host has pulled from the queue for a while, and none is connected: someone should start one. */
  | { type: 'no-hosts'; queue: string; broker: string }
  /** The broker has not answered for `ms` (said once per silence; the run stops if it lasts `silentMs`). */
  | { type: 'silent'; broker: string; ms: number; limitMs: number }
  /**
   * The connection that pops results got no answer for `ms` while the broker answered on the other one (a NAT or
   * a firewall forgot that socket): it is renewed, and batches whose results it may have lost are sent again.
   */
  | { type: 'reconnected'; broker: string; ms: number }
  /** A batch out when the reader was renewed left the queue with no record: it is sent again, once. */
  | { type: 'resent'; jobId: string };
