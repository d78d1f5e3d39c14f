// The -j capacity estimate, from given machine facts: each limit and the cost per job it assumes.
import { describe, expect, it } from 'vitest';
import {
  COMMAND_JOB,
  jobCapacity,
  NODE_WORKER_JOB,
  readMachineFacts,
} from '../../../dist/patterns/fan-out/job-limits.js';

const GiB = 1024 ** 3;

describe('jobCapacity', () => {
  it('keeps its command estimate by default: 16 MiB, 2 processes and 2 pipes per job', () => {
    const facts = { freeBytes: 1 * GiB, userProcesses: 0 };
    expect(jobCapacity(facts)).toEqual(jobCapacity(facts, COMMAND_JOB));
    expect(jobCapacity(facts).max).toBe(64);
    expect(jobCapacity(facts).reason).toBe('1.0 GiB of free memory at about 16 MiB per job');
  });

  it('charges a Node worker its memory, threads and one file', () => {
    expect(jobCapacity({ freeBytes: 45 * 1024 ** 2 * 100, userProcesses: 0 }, NODE_WORKER_JOB)).toEqual({
      max: 100,
      reason: '4.4 GiB of free memory at about 45 MiB per job',
    });
    const threads = jobCapacity(
      { freeBytes: 100 * GiB, maxProcesses: 1200, userProcesses: 100 },
      NODE_WORKER_JOB,
    );
    expect(threads).toEqual({
      max: 100,
      reason: 'a limit of 1200 processes with 100 running, at 11 per job',
    });
    const files = jobCapacity({ freeBytes: 100 * GiB, userProcesses: 0, maxOpenFiles: 164 }, NODE_WORKER_JOB);
    expect(files).toEqual({ max: 100, reason: 'a limit of 164 open files, at 1 file per job' });
  });

  it('never says less than 1, and reads this machine', () => {
    expect(jobCapacity({ freeBytes: 0, userProcesses: 0 }, NODE_WORKER_JOB).max).toBe(1);
    expect(readMachineFacts().freeBytes).toBeGreaterThan(0);
  });
});
