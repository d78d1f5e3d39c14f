/**
 * The guardian's whole conversation: concur tells it which PIDs to take down if concur dies.
 * It never answers; its only output is the kill.
 */
export type ToGuardian = { type: 'guard'; pid: number } | { type: 'unguard'; pid: number };
