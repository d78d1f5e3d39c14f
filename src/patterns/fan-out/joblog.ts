/**
 * `--joblog <file>`: one tab-separated line per finished job, in GNU parallel's columns, so the tools that read
 * parallel's joblogs read concur's: Seq, Host, Starttime, JobRuntime, Send, Receive, Exitval, Signal, Command.
 * `--resume` reads the log back and skips every job it lists; `--resume-failed` skips only those that
 * succeeded. Jobs are known by Seq, their position in the input, so the input must be the same.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { UsageError } from '../../process/errors.js';

/** The header line, exactly as GNU parallel writes it. */
export const JOBLOG_HEADER = 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand';

/** One job as the joblog records it. */
export interface JoblogEntry {
  seq: number;
  /** Epoch milliseconds when the job (its last attempt) started. */
  startedAt: number;
  durationMs: number;
  /** Bytes the job wrote to stdout. */
  received: number;
  exitCode: number;
  /** The signal number that killed it, 0 if none. */
  signal: number;
  command: string;
}

/** Format one entry as parallel does: start time in seconds with 3 decimals, run time padded to 10. */
export function formatJoblogLine(entry: JoblogEntry): string {
  const start = (entry.startedAt / 1000).toFixed(3);
  const runtime = (entry.durationMs / 1000).toFixed(3).padStart(10);
  // A newline inside the command would break the one-line-per-job format.
  const command = entry.command.replace(/[\n\t]/g, ' ');
  return `${entry.seq}\t:\t${start}\t${runtime}\t0\t${entry.received}\t${entry.exitCode}\t${entry.signal}\t${command}`;
}

/** Appends entries to a joblog file, one write per job, so a killed run leaves a log that resumes. */
export class JoblogWriter {
  private readonly fd: number;

  /** Open `path`: truncated with a fresh header, or (when resuming) appended to, with a header if new. */
  constructor(path: string, append: boolean) {
    const hadContent = append && existsSync(path) && readFileSync(path, 'utf8').length > 0;
    try {
      this.fd = openSync(path, append ? 'a' : 'w');
    } catch (error) {
      throw new UsageError(`cannot write the joblog ${path}: ${(error as Error).message}`, 'EJOBLOG', {
        cause: error,
      });
    }
    if (!hadContent) writeSync(this.fd, `${JOBLOG_HEADER}\n`);
  }

  write(entry: JoblogEntry): void {
    writeSync(this.fd, `${formatJoblogLine(entry)}\n`);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** What a previous run's joblog says about each job: did its last recorded run succeed? */
export type JoblogHistory = Map<number, { ok: boolean }>;

/** Read a joblog for `--resume`: a missing file is an empty history; a malformed one is a usage error. */
export function readJoblog(path: string): JoblogHistory {
  const history: JoblogHistory = new Map();
  if (!existsSync(path)) return history;
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line === '' || (i === 0 && line.startsWith('Seq\t'))) return;
    const fields = line.split('\t');
    const seq = Number(fields[0]);
    const exitCode = Number(fields[6]);
    const signal = Number(fields[7]);
    if (fields.length < 9 || !Number.isSafeInteger(seq) || Number.isNaN(exitCode) || Number.isNaN(signal))
      throw new UsageError(
        `${path} line ${i + 1} is not a joblog line (Seq, Host, Starttime, … tab-separated); give --resume a log written by --joblog.`,
        'EJOBLOG',
      );
    history.set(seq, { ok: exitCode === 0 && signal === 0 });
  });
  return history;
}
