// concur fan-out -- <command>: a program per input item, driven as a user would (the built CLI, real programs:
// sh, printf, cat, sleep, and two shell fixtures), and compared with GNU parallel where it is installed.
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { runCommands, type CommandResult } from '../../../dist/index.js';
import {
  cleanEnv,
  concur,
  concurCommand,
  fixture,
  hasEscapes,
  inTerminal,
  isAlive,
  shq,
  tempDirs,
  waitFor,
  waitForLine,
} from '../../helpers.js';

const tempDir = tempDirs('commands');
const parallelPath = '/usr/bin/parallel';
const hasParallel = existsSync(parallelPath);

// Every run below is bounded by the helper's 60 s timeout; vitest allows more than that.
const LIMIT = { timeout: 90_000 };

const fanOut = (args: string[], input: string, options: Parameters<typeof concur>[1] = {}) =>
  concur(['fan-out', ...args], { input, ...options });

// "<pid> <grandchild pid>" as job-tree.sh writes it.
const treeIn = (file: string): number[] => readFileSync(file, 'utf8').trim().split(' ').map(Number);

describe('concur fan-out -- <command>: replacement strings and quoting', LIMIT, () => {
  const items = [
    'a/b.c/d.tar.gz',
    '.bashrc',
    'x',
    '/abs',
    'dir/',
    'a.b/c',
    '',
    'sp ace.txt',
    "q'uote",
    'a/b/',
    '/',
    'a.b.',
  ];
  const printf = ['printf', '[%s]', '{}', '{.}', '{/}', '{//}', '{/.}', '{#}', '{%}', '\\n'];

  it('fills in {} {.} {/} {//} {/.} {#} {%} as GNU parallel does', async () => {
    const result = await fanOut(['-j', '1', '--', ...printf], `${items.join('\n')}\n`);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('[\\n]').slice(0, 5)).toEqual([
      '[a/b.c/d.tar.gz][a/b.c/d.tar][d.tar.gz][a/b.c][d.tar][1][1]',
      '[.bashrc][][.bashrc][.][][2][1]',
      '[x][x][x][.][x][3][1]',
      '[/abs][/abs][abs][/][abs][4][1]',
      '[dir/][dir/][][.][][5][1]',
    ]);
  });

  it.skipIf(!hasParallel)('gives the same output as GNU parallel on the same input', async () => {
    const input = `${items.join('\n')}\n`;
    const ours = await fanOut(['-j', '1', '--', ...printf], input);
    const theirs = await execa(parallelPath, ['-k', '-j', '1', '-q', ...printf], { input, reject: false });
    expect(theirs.exitCode).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
    // And with the item appended, several jobs at once, and --tag.
    const lines = Array.from({ length: 30 }, (_, i) => `item ${i}`).join('\n');
    const [tagged, theirTagged] = await Promise.all([
      fanOut(['-j', '3', '--tag', '--', 'echo', 'got'], lines),
      execa(parallelPath, ['-k', '-j', '3', '--tag', '-q', 'echo', 'got'], { input: lines, reject: false }),
    ]);
    expect(tagged.stdout).toBe(theirTagged.stdout);
  });

  it('appends the item when there is no placeholder, as one argument, never as shell code', async () => {
    const dir = tempDir();
    const evil = `a b; touch ${join(dir, 'pwned')}`;
    const result = await fanOut(['--', 'printf', '[%s]\\n'], `${evil}\n$(touch ${join(dir, 'pwned2')})\n`);
    expect(result.stdout).toBe(`[${evil}]\n[$(touch ${join(dir, 'pwned2')})]`);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync(join(dir, 'pwned2'))).toBe(false);
  });

  it('--shell runs sh -c with each replacement quoted: pipes work, items stay data', async () => {
    const dir = tempDir();
    const evil = `it's; touch ${join(dir, 'pwned')}`;
    const result = await fanOut(['--shell', '--', 'printf "[%s]" {} | tr a-z A-Z'], `${evil}\nplain\n`);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`[${evil.toUpperCase()}][PLAIN]`);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    const appended = await fanOut(['--shell', '--', 'echo'], "x'y z\n");
    expect(appended.stdout).toBe("x'y z");
  });

  it('-0 reads NUL-separated items, so an item may hold a newline', async () => {
    const result = await fanOut(['-0', '--', 'printf', '[%s]'], 'a\nb\0c\0');
    expect(result.stdout).toBe('[a\nb][c]');
  });
});

describe('concur fan-out -- <command>: output', LIMIT, () => {
  it('writes each job whole, in input order by default, and as they finish with --unordered', async () => {
    // Job 1 waits until job 2 has finished, so job 2 always ends first.
    const script = (dir: string) =>
      `if [ {} = 1 ]; then while [ ! -e ${dir}/2 ]; do sleep 0.01; done; fi; echo {}; touch ${dir}/{}`;
    const ordered = await fanOut(['-j', '2', '--shell', '--', script(tempDir())], '1\n2\n');
    expect(ordered.stdout).toBe('1\n2');
    const unordered = await fanOut(['-j', '2', '--unordered', '--shell', '--', script(tempDir())], '1\n2\n');
    expect(unordered.stdout).toBe('2\n1');
  });

  it('never interleaves two jobs, even with output larger than a pipe holds', async () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f'];
    const result = await fanOut(
      ['-j', '6', '--unordered', '--', 'sh', '-c', 'for i in 1 2 3 4 5; do yes "$0" | head -20000; done'],
      items.join('\n'),
      { maxBuffer: 10_000_000 },
    );
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(600_000);
    // Six runs of 100,000 equal lines: the item changes exactly five times.
    const changes = lines.filter((line, i) => i > 0 && line !== lines[i - 1]).length;
    expect(changes).toBe(5);
  });

  it("passes each job's stderr whole to stderr, its stdout to stdout, and --tag prefixes both", async () => {
    const result = await fanOut(['-j', '2', '--tag', '--', fixture('both-streams.sh')], 'p\nq\n');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('p\tout p\nq\tout q');
    expect(result.stderr.split('\n').sort()).toEqual(['p\terr p', 'q\terr q']);
  });

  it('--line-buffer streams lines while the job is still running', async () => {
    const dir = tempDir();
    const child = concur(
      [
        'fan-out',
        '--line-buffer',
        '--tag',
        '--shell',
        '--',
        `echo first {}; while [ ! -e ${dir}/go ]; do sleep 0.01; done; echo second {}`,
      ],
      { input: 'job\n' },
    );
    await waitForLine(child.stdout!, /job\tfirst job\n/, 30_000);
    writeFileSync(join(dir, 'go'), '');
    const result = await child;
    expect(result.stdout).toBe('job\tfirst job\njob\tsecond job');
    expect(result.exitCode).toBe(0);
  });

  it('draws a progress line on a terminal, and none under CI or in a pipe', async () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const script = `while [ ! -e ${dir}/go ]; do sleep 0.01; done; echo {}`;
    const command = `printf 'a\\nb\\n' | ${concurCommand(['fan-out', '-j', '2', '--shell', '--', script])} > ${shq(out)}`;
    const run = inTerminal(command);
    await waitForLine(run.stdout!, /fan-out -j 2: 0 \/ 2 jobs/, 30_000);
    writeFileSync(join(dir, 'go'), '');
    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('a\nb\n');
    const ci = await inTerminal(`${command.replace(`> ${shq(out)}`, '> /dev/null')}`, { CI: 'true' });
    expect(ci.exitCode).toBe(0);
    expect(String(ci.stdout)).toBe('');
    const piped = await fanOut(['--shell', '--', script], 'c\n');
    expect(hasEscapes(piped.stderr)).toBe(false);
  });

  it('--json writes one record per job', async () => {
    const result = await fanOut(['--json', '-j', '1', '--', fixture('both-streams.sh')], 'x\n');
    const record = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(record).toMatchObject({
      index: 0,
      seq: 1,
      slot: 1,
      input: 'x',
      argv: [fixture('both-streams.sh'), 'x'],
      exitCode: 0,
      signal: null,
      ok: true,
      attempts: 1,
      stdout: 'out x\n',
    });
    expect(typeof record.durationMs).toBe('number');
    expect(result.stderr).toBe('err x');
  });

  it("--events records each job as a task on its slot's track", async () => {
    const file = join(tempDir(), 'events.ndjson');
    const result = await fanOut(['--events', file, '-j', '2', '--', 'true'], '1\n2\n3\n4\n');
    expect(result.exitCode).toBe(0);
    const events = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { role: string; kind: string; data?: { task?: string } });
    const tasks = events.filter((e) => e.kind === 'start' && e.data?.task?.startsWith('job '));
    expect(tasks.map((e) => e.data?.task).sort()).toEqual(['job 1', 'job 2', 'job 3', 'job 4']);
    expect(new Set(tasks.map((e) => e.role))).toEqual(new Set(['slot 1', 'slot 2']));
    expect(events.filter((e) => e.kind === 'end' && e.data?.task?.startsWith('job '))).toHaveLength(4);
  });

  it('| head -1 ends quietly, with no job left behind', async () => {
    const dir = tempDir();
    const command = `seq 1000 | ${concurCommand(['fan-out', '-j', '2', '--', 'sh', '-c', `echo $0; echo $$ >> ${dir}/pids`])} | head -1; echo "status \${PIPESTATUS[1]}" >&2`;
    const result = await execa('bash', ['-c', command], { env: cleanEnv(), reject: false, timeout: 60_000 });
    expect(result.stdout).toBe('1');
    expect(result.stderr).toBe('status 0');
    const pids = readFileSync(join(dir, 'pids'), 'utf8').trim().split('\n').map(Number);
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 10_000, 'jobs to exit');
  });
});

describe('concur fan-out -- <command>: failures, exit codes, retries, timeouts, halt', LIMIT, () => {
  it('a failed job: its output still written, one line on stderr naming it, exit 1', async () => {
    const result = await fanOut(['-j', '1', '--', fixture('both-streams.sh'), '{}', '{}'], '0\n3\n0\n');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('out 0\nout 3\nout 0');
    expect(result.stderr).toBe(
      'err 0\nconcur: line 2 ("3") exited with code 3\nerr 3\nerr 0\nconcur: 1 of 3 jobs failed; first: line 2 ("3").',
    );
  });

  it('a program that does not exist: one line per job, exit 127; one that cannot run: 126', async () => {
    const missing = await fanOut(['--', 'no-such-program-xyz'], 'a\nb\n');
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toBe(
      [
        'concur: line 1 ("a") command not found: no-such-program-xyz (check the name, or your PATH)',
        'concur: line 2 ("b") command not found: no-such-program-xyz (check the name, or your PATH)',
        'concur: 2 of 2 jobs failed; first: line 1 ("a").',
      ].join('\n'),
    );
    const dir = tempDir();
    const script = join(dir, 'not-executable.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    chmodSync(script, 0o644);
    const cannot = await fanOut(['--', script], 'a\n');
    expect(cannot.exitCode).toBe(126);
    expect(cannot.stderr).toMatch(
      /^concur: line 1 \("a"\) cannot run .*not-executable\.sh: permission denied/,
    );
    expect(cannot.stderr).not.toMatch(/\n\s+at /);
  });

  it('--retries re-runs a failed job; only the last attempt is written', async () => {
    const dir = tempDir();
    // Fails the first time it runs for an item, succeeds the second.
    const script = `if [ -e ${dir}/{} ]; then echo ok {}; else touch ${dir}/{}; echo failing {}; exit 1; fi`;
    const result = await fanOut(['--retries', '1', '--json', '--shell', '--', script], 'a\n');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, attempts: 2, stdout: 'ok a\n' });
    expect(result.stderr).toBe('concur: line 1 ("a") exited with code 1; retrying (attempt 2)');
    const none = await fanOut(['--shell', '--', script], 'b\n');
    expect(none.exitCode).toBe(1);
  });

  it("--timeout kills the job's whole process group, grandchild included, and counts it failed", async () => {
    const dir = tempDir();
    const file = join(dir, 'tree');
    const log = join(dir, 'log');
    const result = await fanOut(
      ['--timeout', '300ms', '--joblog', log, '--', fixture('job-tree.sh'), file],
      'x\n',
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^concur: line 1 \("x"\) timed out after 300ms\n/);
    const [pid, grandchild] = treeIn(file);
    await waitFor(() => !isAlive(pid!) && !isAlive(grandchild!), 10_000, 'job and grandchild to die');
    const fields = readFileSync(log, 'utf8').split('\n')[1]!.split('\t');
    expect([fields[6], fields[7]]).toEqual(['-1', '15']);
  });

  it('--timeout follows SIGTERM with SIGKILL for a job that ignores it', async () => {
    const dir = tempDir();
    const file = join(dir, 'tree');
    const result = await fanOut(
      ['--timeout', '200ms', '--', fixture('job-tree.sh'), file, 'ignore-term'],
      'x\n',
    );
    expect(result.exitCode).toBe(1);
    const [pid, grandchild] = treeIn(file);
    await waitFor(() => !isAlive(pid!) && !isAlive(grandchild!), 10_000, 'job and grandchild to die');
  });

  it('--halt now,fail=1 kills the running jobs at the first failure', async () => {
    const dir = tempDir();
    // Job 1 waits for job 2 to be running, then fails; job 2 would run for ever.
    const script = `if [ {} = fail ]; then while [ ! -e ${dir}/tree ]; do sleep 0.01; done; exit 4; fi; exec ${shq(fixture('job-tree.sh'))} ${dir}/tree`;
    const result = await fanOut(
      ['-j', '2', '--halt', 'now,fail=1', '--shell', '--', script],
      'fail\nslow\nnever\n',
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      'concur: halting: 1 job failed (--halt now,fail=1); 1 running job killed.',
    );
    expect(result.stderr).toContain('concur: 1 of 1 jobs failed; halted: 1 job failed (--halt now,fail=1)');
    const [pid, grandchild] = treeIn(join(dir, 'tree'));
    await waitFor(() => !isAlive(pid!) && !isAlive(grandchild!), 10_000, 'the running job to be killed');
  });

  it('--halt soon,fail=1 starts no new job but lets running ones finish; now,success=1 stops at a success', async () => {
    const soon = await fanOut(
      ['-j', '1', '--halt', 'soon,fail=1', '--', 'sh', '-c', 'echo $0; exit $0'],
      '3\n0\n0\n',
    );
    expect(soon.exitCode).toBe(1);
    expect(soon.stdout).toBe('3');
    expect(soon.stderr).toContain(
      'halting: 1 job failed (--halt soon,fail=1); waiting for the running jobs.',
    );
    const success = await fanOut(
      ['-j', '1', '--halt', 'now,success=1', '--', 'sh', '-c', 'echo $0; exit $0'],
      '1\n0\n1\n',
    );
    expect(success.exitCode).toBe(0);
    expect(success.stdout).toBe('1\n0');
    const bad = await fanOut(['--halt', 'sometimes', '--', 'true'], '');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--halt.*expected never, now,fail=N/);
  });

  it('refuses a -j the machine cannot hold with exit 2 and the largest safe value; accepts -j 50%', async () => {
    const huge = await fanOut(['-j', '10000000', '--', 'true'], '1\n');
    expect(huge.exitCode).toBe(2);
    expect(huge.stderr).toMatch(
      /^concur: -j 10000000 is more than this machine can hold: the largest safe value is \d+ \(.+\)\.$/,
    );
    const half = await fanOut(['-j', '50%', '--json', '--', 'true'], '1\n');
    expect(half.exitCode).toBe(0);
  });

  it('a directory as stdin is a failure, not empty input', async () => {
    const result = await execa('bash', ['-c', `${concurCommand(['fan-out', '--', 'echo'])} < /`], {
      env: cleanEnv(),
      reject: false,
      timeout: 60_000,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      'concur: cannot read stdin: it is a directory (give a file or a pipe: < file.txt)',
    );
  });
});

describe('concur fan-out -- <command>: joblog and resume', LIMIT, () => {
  it("--joblog writes GNU parallel's columns, one line per job", async () => {
    const log = join(tempDir(), 'jobs.tsv');
    const result = await fanOut(
      ['-j', '1', '--joblog', log, '--', 'sh', '-c', 'printf "%s\\n" "$0"; exit $0'],
      '0\n3\n',
    );
    expect(result.exitCode).toBe(1);
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand');
    const rows = lines.slice(1).map((line) => line.split('\t'));
    expect(rows).toHaveLength(2);
    for (const [i, row] of rows.entries()) {
      expect(row[0]).toBe(String(i + 1));
      expect(row[1]).toBe(':');
      expect(row[2]).toMatch(/^\d{10}\.\d{3}$/);
      expect(row[3]).toMatch(/^ *\d+\.\d{3}$/);
      expect(row[3]).toHaveLength(10);
      expect([row[4], row[5], row[7]]).toEqual(['0', '2', '0']);
    }
    expect(rows.map((row) => row[6])).toEqual(['0', '3']);
    expect(rows[1]![8]).toBe(`sh -c 'printf "%s\\n" "$0"; exit $0' 3`);
  });

  it.skipIf(!hasParallel)('GNU parallel --resume reads the joblog concur wrote', async () => {
    const log = join(tempDir(), 'jobs.tsv');
    await fanOut(['--joblog', log, '--', 'echo'], 'a\nb\n');
    const theirs = await execa(parallelPath, ['--joblog', log, '--resume', '-k', 'echo'], {
      input: 'a\nb\nc\n',
      reject: false,
    });
    expect(theirs.stdout).toBe('c');
  });

  it('--resume skips every logged job; --resume-failed re-runs only the failed ones', async () => {
    const log = join(tempDir(), 'jobs.tsv');
    const args = ['-j', '1', '--joblog', log, '--', 'sh', '-c', 'echo ran $0; exit $0'];
    const first = await fanOut(args, '0\n5\n');
    expect(first.exitCode).toBe(1);
    const resumed = await fanOut(['--resume', ...args], '0\n5\n0\n');
    expect(resumed.stdout).toBe('ran 0');
    const failed = await fanOut(['--resume-failed', ...args], '0\n5\n0\n');
    expect(failed.stdout).toBe('ran 5');
    const seqs = readFileSync(log, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => line.split('\t')[0]);
    expect(seqs).toEqual(['1', '2', '3', '2']);
    const without = await fanOut(['--resume', '--', 'true'], '');
    expect(without.exitCode).toBe(2);
    expect(without.stderr).toBe(
      'concur: --resume and --resume-failed read the log of an earlier run: add --joblog <file>.',
    );
  });
});

describe('concur fan-out -- <command>: no job outlives concur', LIMIT, () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGKILL', null],
  ] as const)('%s of concur leaves no job and no grandchild', async (signal, code) => {
    const dir = tempDir();
    const child = concur(['fan-out', '-j', '2', '--', fixture('job-tree.sh'), `${dir}/{#}`], {
      input: '1\n2\n3\n',
    });
    await waitFor(() => existsSync(join(dir, '1')) && existsSync(join(dir, '2')), 30_000, 'two jobs');
    const pids = [...treeIn(join(dir, '1')), ...treeIn(join(dir, '2'))];
    expect(pids.every(isAlive)).toBe(true);
    child.kill(signal);
    const result = await child;
    if (code === null) expect(result.signal).toBe('SIGKILL');
    else expect(result.exitCode).toBe(code);
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 10_000, 'jobs and grandchildren to exit');
    expect(existsSync(join(dir, '3'))).toBe(false);
  });

  it('a grandchild left running in the background by a finished job is killed when the run ends', async () => {
    const dir = tempDir();
    // (A grandchild that kept the job's stdout open would hold the job open, as in GNU parallel.)
    const script = `sleep 1000 > /dev/null 2>&1 & echo $! > ${dir}/bg #`;
    const result = await fanOut(['--shell', '--', script], 'x\n');
    expect(result.exitCode).toBe(0);
    const pid = Number(readFileSync(join(dir, 'bg'), 'utf8'));
    await waitFor(() => !isAlive(pid), 10_000, 'the background grandchild to die');
  });
});

describe('runCommands (library)', LIMIT, () => {
  it('yields typed results in input order, with exit codes, signals and output', async () => {
    const results: CommandResult[] = [];
    for await (const job of runCommands(['0', '2', '0'], ['sh', '-c', 'echo $0; exit $0'], { jobs: 2 }))
      results.push(job);
    expect(results.map((r) => [r.seq, r.exitCode, r.ok, r.stdout.toString()])).toEqual([
      [1, 0, true, '0\n'],
      [2, 2, false, '2\n'],
      [3, 0, true, '0\n'],
    ]);
  });
});
