/**
 * Where the recorder's events go when the user asks for them: `--events <file>` (NDJSON, written as the run
 * goes), `--trace <file>` (a Chrome trace, written when concur exits) and `--timeline` (a chart on stderr
 * after the run). The CLI loads this module only when one of the three is given.
 *
 * Everything is finished on the way out, whatever the way: a normal end, a failure, a closed stdout, or a
 * signal. A trace file is therefore complete, valid JSON even when the run failed or was interrupted.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { epochNow } from './clock.js';
import { signalExitCode, UsageError } from '../process/errors.js';
import { maskCredentials, type ConcurEvent, type EventLog } from './events.js';
import { say, sayError, stderrPolicy } from '../terminal/output.js';
import { killAll } from '../process/children.js';
import { chromeTrace } from './chrome.js';
import { buildModel } from './model.js';
import { renderTimeline } from './timeline.js';

/** What the user asked for. */
export interface SinkOptions {
  /** Path of the NDJSON event file. */
  events?: string;
  /** Path of the Chrome trace file. */
  trace?: string;
  /** Draw the timeline on stderr after the run. */
  timeline?: boolean;
  /** The command line, kept in the trace's metadata and the first event. */
  argv?: string[];
  /** concur's version, for the trace's metadata. */
  version?: string;
}

// Events reach the file in chunks this big, or every FLUSH_MS, whichever comes first.
const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 250;
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Open the files (a path that cannot be written is a usage error, before any work starts) and subscribe. */
export function startSinks(log: EventLog, options: SinkOptions): void {
  const argv = maskCredentials(options.argv ?? process.argv.slice(2));
  const eventsFd = options.events === undefined ? undefined : open(options.events, '--events');
  const tracePath = options.trace;
  if (tracePath !== undefined) {
    // Valid (if empty) from the start: even a SIGKILLed run leaves a file that viewers open.
    const fd = open(tracePath, '--trace');
    writeSync(fd, `${JSON.stringify({ traceEvents: [], otherData: { unfinished: true } })}\n`);
    closeSync(fd);
  }
  const keep = tracePath !== undefined || options.timeline === true;
  const kept: ConcurEvent[] = [];
  let pending = '';

  const flush = (): void => {
    if (eventsFd === undefined || pending === '') return;
    const chunk = pending;
    pending = '';
    writeSync(eventsFd, chunk);
  };
  const timer = eventsFd === undefined ? undefined : setInterval(flush, FLUSH_MS);
  timer?.unref();

  log.subscribe((event) => {
    if (keep) kept.push(event);
    if (eventsFd !== undefined) {
      pending += `${JSON.stringify(event)}\n`;
      if (pending.length >= FLUSH_BYTES) flush();
    }
  });
  let finished = false;
  const finish = (ending: { code: number } | { signal: NodeJS.Signals }): void => {
    if (finished) return;
    finished = true;
    if (timer) clearInterval(timer);
    const code = 'code' in ending ? ending.code : signalExitCode(ending.signal);
    log.recordExit('code' in ending ? { code } : { code, signal: ending.signal });
    try {
      flush();
      if (eventsFd !== undefined) closeSync(eventsFd);
      if (!keep) return;
      const model = buildModel(kept, { from: performance.timeOrigin, to: epochNow(), self: log.self });
      if (tracePath !== undefined) {
        const fd = openSync(tracePath, 'w');
        writeTrace(fd, chromeTrace(model, { argv, version: options.version, exitCode: code }));
        closeSync(fd);
      }
      if (options.timeline)
        say(
          renderTimeline(model, {
            columns: stderrPolicy.columns,
            color: stderrPolicy.color,
            unicode: stderrPolicy.animate || stderrPolicy.color,
          }).join('\n'),
        );
    } catch (error) {
      sayError(`could not finish the trace: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  process.once('exit', (code) => finish({ code }));
  // A signal that nobody else handles would kill concur before 'exit' runs: finish first, then die of it.
  // The price: a parent blocked in a computation (the spinner's) acts on Ctrl-C only once it is free again.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (process.listenerCount(signal) > 1) return; // a command's own handler exits, and 'exit' finishes.
    finish({ signal });
    killAll('SIGTERM');
    for (const name of SIGNALS) process.off(name, onSignal);
    process.kill(process.pid, signal);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function open(path: string, option: string): number {
  try {
    return openSync(path, 'w');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(
      `cannot write the ${option} file '${path}' (${reason}): give a path in a writable directory.`,
    );
  }
}

// Written in pieces: a long run's trace may not fit in one string.
function writeTrace(fd: number, trace: ReturnType<typeof chromeTrace>): void {
  writeSync(fd, `{"displayTimeUnit":"ms","otherData":${JSON.stringify(trace.otherData)},"traceEvents":[\n`);
  const events = trace.traceEvents;
  for (let i = 0; i < events.length; i += 2000) {
    const slice = events.slice(i, i + 2000).map((event) => JSON.stringify(event));
    writeSync(fd, `${slice.join(',\n')}${i + 2000 < events.length ? ',\n' : '\n'}`);
  }
  writeSync(fd, ']}\n');
}
