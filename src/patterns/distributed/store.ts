/**
 * Where results wait for the coordinator: a per-run list in Redis, beside the queue. BullMQ's event stream is a
 * notification channel, trimmed at about 10,000 entries, and a completed job's hash is removed with its value;
 * neither may hold the only copy of a result. So a host appends each batch's result (or why it failed) to the
 * run's own list, and the coordinator pops from that list: a result stays in Redis until the coordinator has it,
 * and nowhere after.
 *
 * The run key says the run is alive. The coordinator creates it before the first job and deletes it (with the
 * list) at the end; it also expires, so a coordinator that dies leaves nothing for long. A host writes a result
 * only while the run key exists (one Lua script, so the check and the write are one step): a batch that
 * finishes twice after its run ended (at-least-once delivery) leaves nothing behind. A run key that vanishes
 * mid-run means the broker lost the run (restarted empty): the coordinator says so instead of waiting.
 *
 * A batch's lines wait here too, as bytes under a key of the run (`batch-key` jobs in protocol.ts), from before
 * its job is added until the coordinator has its result; they expire with the run.
 * Try: concur demo distributed
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from './protocol.js';

/** How long a run's keys outlive a coordinator that stopped refreshing them (died or frozen), in ms. */
export const RUN_TTL_MS = 10 * 60 * 1000;

/** The Redis keys of one run on one queue. */
export interface RunKeys {
  /** Exists while the run is alive: `concur:<queue>:run:<id>`. */
  readonly run: string;
  /** The results waiting for the coordinator: `concur:<queue>:run:<id>:results`. */
  readonly results: string;
}

export function runKeys(queue: string, runId: string): RunKeys {
  const run = `${KEY_PREFIX}:${queue}:run:${runId}`;
  return { run, results: `${run}:results` };
}

/** The key that holds the lines of the run's batch number `seq`. */
export function batchKey(keys: RunKeys, seq: number): string {
  return `${keys.run}:batch:${seq}`;
}

/** The coordinator's side: a batch's lines, as bytes, before its job is added. */
export async function putBatch(client: Redis, key: string, lines: Buffer): Promise<void> {
  await client.set(key, lines, 'PX', RUN_TTL_MS);
}

// KEYS: the batch's key. ARGV: the most bytes a host takes. The lines, their length when too many, or nil.
const takeBatchScript = `
local n = redis.call('STRLEN', KEYS[1])
if n > tonumber(ARGV[1]) then return n end
return redis.call('GET', KEYS[1])`;

/**
 * A host's side: a batch's lines as bytes; the byte count when it holds more than `maxBytes` (nothing that
 * large is read); undefined when the key is gone (its run is over, or its result is already in).
 */
export async function takeBatch(
  client: Redis,
  key: string,
  maxBytes: number,
): Promise<Buffer | number | undefined> {
  const reply = (await runScript(client, takeBatchScript, [key], [maxBytes], true)) as Buffer | number | null;
  return reply ?? undefined;
}

/** The key of a BullMQ job's hash (its data, lock holder, stall counter). */
export function jobKey(queue: string, jobId: string): string {
  return `${KEY_PREFIX}:${queue}:${jobId}`;
}

// KEYS: run key, results list. ARGV: the encoded result, the list's expiry (ms). 1 if written, 0 if the run is over.
const appendScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`;

/**
 * A host's side: append one encoded result to its run's list, if the run is still alive.
 */
export async function appendResult(client: Redis, keys: RunKeys, encoded: string | Buffer): Promise<boolean> {
  return (await runScript(client, appendScript, [keys.run, keys.results], [encoded, RUN_TTL_MS])) === 1;
}

const shas = new Map<string, string>();

/**
 * A Lua script by its hash (EVALSHA), so an argument of megabytes is sent once, not with the script's text
 * beside it; a server that does not know the script yet (a fresh or restarted one) is sent the text once.
 * `bytes`: bulk replies come back as Buffers.
 */
async function runScript(
  client: Redis,
  script: string,
  keys: string[],
  args: (string | number | Buffer)[],
  bytes = false,
): Promise<unknown> {
  let sha = shas.get(script);
  if (!sha) shas.set(script, (sha = createHash('sha1').update(script).digest('hex')));
  const call = (command: 'EVALSHA' | 'EVAL', first: string): Promise<unknown> =>
    bytes
      ? client.callBuffer(command, first, keys.length, ...keys, ...args)
      : client.call(command, first, keys.length, ...keys, ...args);
  try {
    return await call('EVALSHA', sha);
  } catch (error) {
    if (!String(error).includes('NOSCRIPT')) throw error;
    return call('EVAL', script);
  }
}

/**
 * The coordinator's side: take up to `count` results, waiting at most `blockSeconds` for the first. They come as
 * bytes: a batch's output lines are written out as Redis sent them, never decoded into a string and back.
 */
export async function takeResults(
  client: Redis,
  keys: RunKeys,
  count: number,
  blockSeconds: number,
): Promise<Buffer[]> {
  const reply = (await client.callBuffer('BLMPOP', blockSeconds, 1, keys.results, 'LEFT', 'COUNT', count)) as
    [Buffer, Buffer[]] | null;
  return reply?.[1] ?? [];
}

/** The coordinator's side, without waiting: whatever is in the list now. */
export async function takeWaiting(client: Redis, keys: RunKeys, count: number): Promise<Buffer[]> {
  return (await client.lpopBuffer(keys.results, count)) ?? [];
}
