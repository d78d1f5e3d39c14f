// The slot launchers behind `concur fan-out -- <command>` (launcher.ts): what running jobs from a small shell
// changes, and what it must not. Real programs through the built CLI, as a user runs them.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCommands, type CommandResult } from '../../../dist/index.js';
import { concur, tempDirs } from '../../helpers.js';
import { quoteForLauncher } from '../../../dist/patterns/fan-out/launcher.js';

const tempDir = tempDirs('launcher');

// Every run below is bounded by the helper's 60 s timeout; vitest allows more than that.
const LIMIT = { timeout: 90_000 };

describe('fan-out launchers', LIMIT, () => {
  it('quotes every byte an item may hold, newlines included, as one line for the shell', () => {
    expect(quoteForLauncher(`a'b`)).toBe(`'a'\\''b'`);
    expect(quoteForLauncher('x\ny')).toBe(`'x'"$N"'y'`);
    expect(quoteForLauncher('x\ny')).not.toContain('\n');
  });

  it('passes items with quotes, $, backquotes and newlines to the program unchanged', async () => {
    const items = ['$HOME', '`id`', "it's", 'a\nb', '\\n', ' lead', 'trail ', '*'];
    const results: CommandResult[] = [];
    for await (const job of runCommands(items, ['printf', '[%s]'], { jobs: 2 })) results.push(job);
    expect(results.map((r) => r.stdout.toString())).toEqual(items.map((item) => `[${item}]`));
  });

  it('reads an exit status above 128 as the signal that killed the job', async () => {
    const results: CommandResult[] = [];
    for await (const job of runCommands(['TERM', 'KILL'], ['sh', '-c', 'kill -$0 $$'], { jobs: 1 }))
      results.push(job);
    expect(results.map((r) => [r.exitCode, r.signal, r.ok])).toEqual([
      [null, 'SIGTERM', false],
      [null, 'SIGKILL', false],
    ]);
  });

  it('a grandchild writing after its job ended never lands in the next job of its slot', async () => {
    const dir = tempDir();
    // Job "one" leaves a grandchild that writes once job "two" is running; "two" waits for that write.
    const script = `if [ $0 = one ]; then (while [ ! -e ${dir}/two ]; do sleep 0.01; done; echo late; touch ${dir}/wrote) & echo one; else touch ${dir}/two; while [ ! -e ${dir}/wrote ]; do sleep 0.01; done; echo two; fi`;
    const result = await concur(['fan-out', '-j', '1', '--', 'sh', '-c', script], { input: 'one\ntwo\n' });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('one\ntwo');
  });

  it('after a timeout takes a launcher down, the slot runs its next job on a fresh one', async () => {
    const result = await concur(
      [
        'fan-out',
        '-j',
        '1',
        '--timeout',
        '300ms',
        '--',
        'sh',
        '-c',
        'if [ $0 = hang ]; then exec sleep 100; fi; echo $0',
      ],
      { input: 'hang\nb\nc\n' },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('b\nc');
    expect(result.stderr).toMatch(/^concur: line 1 \("hang"\) timed out after 300ms\n/);
  });

  it('leaves nothing in the temporary directory after the run', async () => {
    const tmp = tempDir();
    const result = await concur(['fan-out', '-j', '2', '--', 'sh', '-c', 'echo $0; echo e$0 >&2'], {
      input: '1\n2\n3\n',
      env: { TMPDIR: tmp },
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('1\n2\n3');
    expect(readdirSync(tmp).filter((name) => name.startsWith('concur-jobs-'))).toEqual([]);
  });
});
