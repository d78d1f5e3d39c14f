/**
 * How many jobs at once this machine can hold, for `concur fan-out -- <command>` and for fan-out's Node workers:
 * a check before the first spawn, so `-j 100000` is refused in one line instead of taking the machine down. The
 * estimate is simple on purpose and each part is named in the message (the numbers are a job's `JobCost`):
 *   - memory: the memory available now, at about 16 MiB per job (a shell is ~1 MiB, Python ~10, Node ~40);
 *   - processes: the per-user process limit less the processes already running, at 2 per job (a job that runs
 *     a shell often runs one more program);
 *   - open files: concur holds 2 pipes per job (stdout and stderr), within its open-file limit.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { freemem } from 'node:os';

/** Memory a job is assumed to need. */
export const MEMORY_PER_JOB = 16 * 1024 * 1024;

/** What one job costs the machine. The defaults fit a command (`fan-out -- <command>`). */
export interface JobCost {
  /** Memory a job is assumed to need (default MEMORY_PER_JOB). */
  memoryBytes: number;
  /** Processes, counted as the kernel counts them for its limit: threads (default 2). */
  processes: number;
  /** Open files concur holds for a job (default 2: its stdout and stderr pipes). */
  files: number;
}

/** A command run per item: a shell and maybe one program, two pipes. */
export const COMMAND_JOB: JobCost = { memoryBytes: MEMORY_PER_JOB, processes: 2, files: 2 };

/**
 * A fan-out Node worker. Measured on the 2-core test machine (Node 20, Linux): a worker that has loaded the
 * identity module holds about 45 MiB resident and runs 11 threads (/proc/<pid>/status: VmRSS 45964 kB,
 * Threads 11); concur holds one file for it, the IPC channel.
 */
export const NODE_WORKER_JOB: JobCost = { memoryBytes: 45 * 1024 * 1024, processes: 11, files: 1 };

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

/** Estimate the largest safe number of jobs at once, each costing `cost` (a command by default). */
export function jobCapacity(
  facts: MachineFacts = readMachineFacts(),
  cost: JobCost = COMMAND_JOB,
): JobCapacity {
  const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  const mib = Math.round(cost.memoryBytes / 1024 ** 2);
  const limits: JobCapacity[] = [
    {
      max: Math.floor(facts.freeBytes / cost.memoryBytes),
      reason: `${gib(facts.freeBytes)} of free memory at about ${mib} MiB per job`,
    },
  ];
  if (facts.maxProcesses !== undefined)
    limits.push({
      max: Math.floor((facts.maxProcesses - facts.userProcesses) / cost.processes),
      reason: `a limit of ${facts.maxProcesses} processes with ${facts.userProcesses} running, at ${cost.processes} per job`,
    });
  const files = cost.files === 2 ? '2 pipes' : `${cost.files} file${cost.files === 1 ? '' : 's'}`;
  if (facts.maxOpenFiles !== undefined)
    limits.push({
      max: Math.floor((facts.maxOpenFiles - 64) / cost.files),
      reason: `a limit of ${facts.maxOpenFiles} open files, at ${files} per job`,
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
