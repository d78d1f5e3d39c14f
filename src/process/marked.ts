/**
 * Processes known by a mark in their environment. A job started with `CONCUR_JOB_GUARD=<mark>` carries the mark
 * from its first instruction, and so do its children and grandchildren (the environment is inherited), so the
 * guardian can find them all after concur has died: no message per job, and no window between a job's start
 * and its guard. Linux only (/proc); elsewhere nothing is found.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The environment variable that carries the mark. */
export const MARK_VARIABLE = 'CONCUR_JOB_GUARD';

/** A marked process: its PID and its process group. */
export interface Marked {
  pid: number;
  pgid: number;
}

/** Every process (other than this one) whose environment holds `MARK_VARIABLE=mark`. */
export function findMarked(mark: string): Marked[] {
  const needle = Buffer.from(`\0${MARK_VARIABLE}=${mark}\0`);
  const first = needle.subarray(1);
  const found: Marked[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`);
      if (environ.indexOf(needle) < 0 && !environ.subarray(0, first.length).equals(first)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      found.push({ pid: Number(name), pgid });
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return found;
}
