/**
 * The guardian's whole conversation: concur tells it which PIDs to take down if concur dies.
 * It never answers; its only output is the kill. A negative `pid` names a process group (kill(-pgid) signals
 * every process in it), so a job's grandchildren go too.
 */
export type ToGuardian =
  | { type: 'guard'; pid: number }
  | { type: 'unguard'; pid: number }
  /** Take down every process whose environment carries this mark, and its process group (marked.ts). */
  | { type: 'guard-marked'; mark: string };
