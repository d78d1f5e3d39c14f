/**
 * How many jobs at once this machine can hold, for `concur fan-out -- <command>`: a check before the first
 * spawn, so `-j 100000` is refused in one line instead of taking the machine down. The estimate is simple on
 * purpose and each part is named in the message:
 *   - memory: the memory available now, at about 16 MiB per job (a shell is ~1 MiB, Python ~10, Node ~40);
 *   - processes: the per-user process limit less the processes already running, at 2 per job (a job that runs
 *     a shell often runs one more program);
 *   - open files: concur holds 2 pipes per job (stdout and stderr), within its open-file limit.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { freemem } from 'node:os';

/** Memory a job is assumed to need. */
export const MEMORY_PER_JOB = 16 * 1024 * 1024;

/** The limit on jobs at once, and what set it, for the refusal message. */
export interface JobCapacity {
  /** The largest `-j` concur accepts. */
  max: number;
  /** Which resource set `max`, in words: "free memory 22.3 GiB at about 16 MiB per job". */
  reason: string;
}

/** What the estimate is made from (read from /proc and os by default; tests pass their own). */
export interface MachineFacts {
  freeBytes: number;
  /** The per-user process limit (undefined when unlimited or unknown). */
  maxProcesses?: number;
  /** Processes (threads, as the kernel counts them for the limit) this user runs now. */
  userProcesses: number;
  /** This process's open-file limit (undefined when unlimited or unknown). */
  maxOpenFiles?: number;
}

/** Estimate the largest safe number of jobs at once. */
export function jobCapacity(facts: MachineFacts = readMachineFacts()): JobCapacity {
  const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  const limits: JobCapacity[] = [
    {
      max: Math.floor(facts.freeBytes / MEMORY_PER_JOB),
      reason: `${gib(facts.freeBytes)} of free memory at about 16 MiB per job`,
    },
  ];
  if (facts.maxProcesses !== undefined)
    limits.push({
      max: Math.floor((facts.maxProcesses - facts.userProcesses) / 2),
      reason: `a limit of ${facts.maxProcesses} processes with ${facts.userProcesses} running, at 2 per job`,
    });
  if (facts.maxOpenFiles !== undefined)
    limits.push({
      max: Math.floor((facts.maxOpenFiles - 64) / 2),
      reason: `a limit of ${facts.maxOpenFiles} open files, at 2 pipes per job`,
    });
  const tightest = limits.reduce((a, b) => (b.max < a.max ? b : a));
  return { max: Math.max(1, tightest.max), reason: tightest.reason };
}

// "Max processes   96365   96365   processes" → 96365 (the soft limit); undefined for "unlimited".
function limitOf(limits: string, name: string): number | undefined {
  const match = new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(limits);
  return match ? Number(match[1]) : undefined;
}

// The kernel's process limit counts threads (a Node process has about ten): field 20 of /proc/<pid>/stat.
function threadsOf(pid: string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[17]) || 1;
  } catch {
    return 0;
  }
}

/** The facts of this machine, from /proc (Linux); limits that cannot be read are left out. */
export function readMachineFacts(): MachineFacts {
  let limits = '';
  try {
    limits = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    // Not Linux: only memory is checked.
  }
  let userProcesses = 0;
  const uid = process.getuid?.();
  try {
    for (const name of readdirSync('/proc'))
      if (/^\d+$/.test(name) && statSync(`/proc/${name}`, { throwIfNoEntry: false })?.uid === uid)
        userProcesses += threadsOf(name);
  } catch {
    // No /proc: count none.
  }
  return {
    freeBytes: freemem(),
    maxProcesses: limitOf(limits, 'Max processes'),
    userProcesses,
    maxOpenFiles: limitOf(limits, 'Max open files'),
  };
}
