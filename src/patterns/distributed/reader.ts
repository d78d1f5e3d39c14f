/**
 * The coordinator's result reader: a connection of its own that pops the run's results list (store.ts), a
 * second at a time, so that it answers (and proves its socket alive) at least once a second, and probes and
 * adds never queue behind a blocking pop. When it alone goes silent while the coordinator's other connection
 * answers, its socket died on the way (a NAT or a firewall forgot it): it gets a new connection, and the jobs
 * out at that moment are marked unsure, since a pop whose reply died with the old socket may have taken their
 * records. The coordinator (run.ts) decides when to renew it, and sends an unsure job again if it leaves
 * the queue without a record.
 * Try: concur demo distributed
 */
import type { Redis } from 'ioredis';
import { delay } from './redis.js';
import { parseRecord } from './encoding.js';
import { takeResults, type RunKeys } from './store.js';
import type { SilenceWatch } from './watch.js';
import type { FromHost } from './protocol.js';

/** How many new connections a reader silent on each of them gets before the run stops (readerLost). */
export const MAX_READER_RENEWALS = 2;

export class ResultReader {
  /** Pops finished: a job gone from the queue is judged only after a pop issued since. */
  rounds = 0;
  /** New connections given since it last answered; a few in a row, and the run stops. */
  renewals = 0;
  /** Jobs out when it was last renewed, whose records a lost pop may have taken. */
  readonly unsure = new Set<string>();
  private quietSince = 0;
  private closed = false;

  constructor(
    private readonly connection: Redis,
    private readonly keys: RunKeys,
    private readonly watch: SilenceWatch,
    /** Called with each pop's records (those that parse: nothing in the list is trusted). */
    private readonly deliver: (records: FromHost[]) => void,
  ) {
    connection.on('error', () => {});
  }

  /** Pop until closed. */
  async start(): Promise<void> {
    while (!this.closed) {
      try {
        const popped = await takeResults(this.connection, this.keys, 1000, 1);
        this.rounds++;
        this.renewals = 0;
        this.watch.heard('reader');
        if (popped.length > 0) this.deliver(parseAll(popped));
      } catch {
        if (this.closed) return;
        await delay(250);
      }
    }
  }

  /** Silent for `ms` while the broker answers elsewhere: a new connection (ioredis sends the pending pop again). */
  renew(ms: number, out: Iterable<[string, { added: boolean }]>): void {
    if (this.renewals++ === 0) this.quietSince = Date.now() - ms;
    this.watch.heard('reader');
    for (const [jobId, job] of out) if (job.added) this.unsure.add(jobId);
    this.connection.disconnect(true);
  }

  /** How long it has gone without an answer, through every renewal. */
  quietMs(): number {
    return Date.now() - this.quietSince;
  }

  close(): void {
    this.closed = true;
    this.connection.disconnect();
  }
}

/** Records popped from the run's list, as parsed (those that do not parse are dropped). */
export function parseAll(popped: readonly (string | Buffer)[]): FromHost[] {
  const records: FromHost[] = [];
  for (const text of popped) {
    const record = parseRecord(text);
    if (record) records.push(record);
  }
  return records;
}
