/**
 * `--halt`: when to stop a run of commands early, in GNU parallel's words. `now,fail=1` kills the running jobs
 * at the first failure; `soon,fail=3` starts no new job after the third failure and lets the running ones end;
 * `now,success=1` stops at the first success (find one answer, then stop). `never` (the default) runs every
 * job. GNU parallel's percentages (`fail=10%`) and `done=N` are not supported.
 * `--halt` itself is read by `parseHalt` in src/options.ts.
 */

/** When to stop early. */
export interface HaltRule {
  /** `now`: kill the running jobs; `soon`: start no new ones and let the running ones finish. */
  when: 'now' | 'soon';
  /** Count failures or successes. */
  on: 'fail' | 'success';
  /** How many trigger the halt. */
  count: number;
}

/** Counts finished jobs and says when a rule is met. */
export class HaltCounter {
  failed = 0;
  succeeded = 0;

  constructor(private readonly rule: HaltRule | undefined) {}

  /** Count one finished job; true when this job makes the rule trip. */
  count(ok: boolean): boolean {
    if (ok) this.succeeded++;
    else this.failed++;
    const rule = this.rule;
    if (!rule || (rule.on === 'fail') === ok) return false;
    return (rule.on === 'fail' ? this.failed : this.succeeded) >= rule.count;
  }

  /** Why the run halted, for people. */
  describe(): string {
    const rule = this.rule;
    if (!rule) return '';
    const what = rule.on === 'fail' ? 'failed' : 'succeeded';
    const n = rule.on === 'fail' ? this.failed : this.succeeded;
    const jobs = n === 1 ? '1 job' : `${n} jobs`;
    return `${jobs} ${what} (--halt ${rule.when},${rule.on}=${rule.count})`;
  }
}
