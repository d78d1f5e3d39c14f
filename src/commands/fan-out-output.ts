/**
 * What `concur fan-out` writes, in both of its modes (a local pool, or worker hosts through a broker): the
 * result lines on stdout, failures on stderr, the exit code, and the progress line. fan-out.ts and
 * fan-out-broker.ts both import it; neither imports the other.
 */
import { ConcurError } from '../process/errors.js';
import { say, StatusLine, style, writeData } from '../terminal/output.js';
import type { ItemResult, ResultBatch } from '../patterns/fan-out/results.js';

/** The flags of `concur fan-out` (local and broker mode). */
export interface FanOutFlags {
  jobs?: number;
  worker: string;
  unordered?: boolean;
  retries: number;
  /** --timeout, in ms. */
  timeout?: number;
  maxRestarts: number;
  json?: boolean;
  progress: boolean;
  /** A URL, or true for `--broker` alone (the URL from --broker-file or CONCUR_BROKER). */
  broker?: string | boolean;
  brokerFile?: string;
  queue?: string;
  /** How long a worker module may take to load, in ms (--load-timeout). */
  loadTimeout: number;
}

// Past this many, failed items are counted but no longer listed one by one on stderr (--json has them all).
const LISTED_FAILURES = 100;

/**
 * The fan-in loop, shared by the local pool and the broker: format each delivered batch and write it with
 * backpressure (a slow reader slows the workers). Failed items are listed on stderr; any failure ends in exit 1.
 */
export async function writeResults(
  results: AsyncIterable<ResultBatch>,
  flags: Pick<FanOutFlags, 'json'>,
  progress: ProgressLine | undefined,
): Promise<void> {
  let failed = 0;
  let total = 0;
  let first: ItemResult | undefined;
  for await (const batch of results) {
    total += batch.length;
    progress?.advance(batch.length);
    // The batch's own bytes to write (the worker's joined outputs, or a command host's stdouts): with failures
    // too, so a failed job's stdout is written as a local command run writes it.
    if (!flags.json) {
      const data = batch.length > 0 ? batch.outputLines() : '';
      if (data.length > 0) await writeData(data);
      if (batch.failed === 0) continue;
    }
    let text = '';
    for (const result of batch.results()) {
      if (flags.json) text += `${JSON.stringify(result)}\n`;
      if (result.error === undefined) continue;
      failed++;
      first ??= result;
      if (failed <= LISTED_FAILURES) {
        progress?.clear();
        say(style.red(`concur: ${itemLabel(result)} failed: ${result.error}`));
      }
    }
    if (text !== '') await writeData(text);
  }
  if (failed > 0) {
    const more = failed > LISTED_FAILURES ? ` (only the first ${LISTED_FAILURES} are listed above)` : '';
    throw new ConcurError(
      `${failed} of ${total} items failed${more}; first: ${first ? itemLabel(first) : 'none'}.`,
      1,
    );
  }
}

// 'line 3 ("die")': the line number alone means nothing after a sort, so its text too (shortened, as pipeline).
function itemLabel(result: ItemResult): string {
  const text = result.input.length > 60 ? `${result.input.slice(0, 57)}...` : result.input;
  return `line ${result.index + 1} (${JSON.stringify(text)})`;
}

/** "done / total items · rate/s · ETA", redrawn on one stderr line at most ten times a second. */
export class ProgressLine {
  private done = 0;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = performance.now();
  private readonly line = new StatusLine();
  private count: { lines: number; ended: boolean } = { lines: 0, ended: false };
  private label = 'fan-out';

  /** Begin drawing: `label` leads the line (e.g. "fan-out -j 2"), `count` says how much input was read. */
  start(label: string, count: { lines: number; ended: boolean }): void {
    this.count = count;
    this.label = label;
    this.startedAt = performance.now();
    this.timer = setInterval(() => this.draw(), 100);
    this.timer.unref();
  }

  advance(items: number): void {
    this.done += items;
  }

  clear(): void {
    this.line.clear();
  }

  stop(): void {
    clearInterval(this.timer);
    this.clear();
  }

  private draw(): void {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const n = (value: number): string => Math.round(value).toLocaleString('en');
    let text = `${this.label}: ${n(this.done)}`;
    if (this.count.ended) {
      text += ` / ${n(this.count.lines)} items`;
      if (rate > 0) text += ` · ETA ${formatSeconds((this.count.lines - this.done) / rate)}`;
    } else text += ` items (${n(this.count.lines)} read)`;
    text += ` · ${n(rate)}/s`;
    this.line.draw(text);
  }
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
}
