/**
 * Command hosts (`concur worker --broker URL -- <command>`): each item runs the command on a host, its stdout is
 * written by the coordinator byte for byte as local `concur fan-out -- <command>` writes it, in order and once;
 * a failed job fails its item; module and command hosts
 * on one run are refused; SIGTERM leaves no job behind and hands the batches back. Each test that needs Redis
 * starts its own redis-server on a free loopback port.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedis } from '../../../dist/patterns/distributed/local-redis.js';
import {
  decodeJobs,
  encodeJobs,
  outcomeOf,
  type JobOutcome,
} from '../../../dist/patterns/distributed/command-results.js';
import type { BatchBytesResult } from '../../../dist/patterns/distributed/protocol.js';
import { commandIdentity, describeWork } from '../../../dist/patterns/distributed/work-id.js';
import { concur, concurBytes, descendants, isAlive, tempDirs, waitFor, waitForLine } from '../../helpers.js';
import { available, why, startHost, stopHost } from './hosts.js';

const tempDir = tempDirs('dist-command');

const seq = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i + 1));
const text = (items: string[]): string => (items.length ? `${items.join('\n')}\n` : '');
// The command of the brief: "<item>!" per item; with {#}, the item's number in the coordinator's input first.
const BANG = ['sh', '-c', 'printf "%s %s!\\n" "$1" "$2"', '_', '{#}', '{}'];
// Per item, one kind of stdout: none, no final newline, several lines (one empty), binary, one line; or a
// failure after printing half a line.
const KINDS = [
  'sh',
  '-c',
  'case "$1" in empty) ;; nonl) printf x ;; lines) printf "a\\nb\\n\\nc\\n" ;; bin) printf "\\377\\000x" ;; fail) printf half; exit 3 ;; *) echo "$1" ;; esac',
  '_',
  '{}',
];

describe('command host pieces', () => {
  it('gives a job stdout as text less one final newline, with its exact bytes too when it is not UTF-8', () => {
    expect(outcomeOf(Buffer.from('x!\n'))).toEqual({ output: 'x!' });
    expect(outcomeOf(Buffer.from('a\nb\n\n'))).toEqual({ output: 'a\nb\n' });
    expect(outcomeOf(Buffer.from('no newline'))).toEqual({ output: 'no newline' });
    expect(outcomeOf(Buffer.from(''))).toEqual({ output: '' });
    expect(outcomeOf(Buffer.from('é\n'))).toEqual({ output: 'é' });
    const binary = Buffer.from([0x1f, 0x8b, 0xff, 0x0a]);
    expect(outcomeOf(binary)).toEqual({
      output: '\u001f\ufffd\ufffd',
      outputBase64: binary.toString('base64'),
    });
  });

  it("carries each job's stdout exactly through a record, failed jobs' too, and refuses one that does not fit", () => {
    const stdouts = [Buffer.from(''), Buffer.from('x'), Buffer.from('a\nb\n'), Buffer.from([0xff, 0, 0x78])];
    const jobs: JobOutcome[] = stdouts.map((stdout, k) => ({
      index: 10 + k,
      input: `i${k}`,
      worker: k < 2 ? 1 : 2,
      pid: k < 2 ? 100 : 200,
      attempts: 1,
      stdout,
      ...(k === 2 ? { error: 'exited with code 3 on host A' } : {}),
    }));
    const module = { name: 'command: cat {}', sha256: 'ab'.repeat(32) };
    const record = encodeJobs('r1-1', 'A', module, jobs, 5);
    expect(record.runs).toEqual([
      [2, 1, 100, 1],
      [2, 2, 200, 1],
    ]);
    // Through JSON, as it crosses Redis.
    const crossed = JSON.parse(JSON.stringify(record)) as BatchBytesResult;
    const batch = { first: 10, count: jobs.length, inputs: jobs.map((job) => job.input) };
    const decoded = decodeJobs(batch, crossed)!;
    expect(Buffer.from(decoded.outputLines())).toEqual(Buffer.concat(stdouts));
    expect(decoded.failed).toBe(1);
    expect(decoded.results().map((item) => [item.index, item.output, item.error])).toEqual([
      [10, '', undefined],
      [11, 'x', undefined],
      [12, undefined, 'exited with code 3 on host A'],
      [13, '\ufffd\u0000x', undefined],
    ]);
    expect(JSON.stringify(decoded.results()[3])).toBe(
      '{"index":13,"input":"i3","output":"\ufffd\\u0000x","outputBase64":"/wB4","worker":2,"pid":200,"attempts":1,"host":"A"}',
    );
    const broken: [string, unknown][] = [
      ['one stdout short', { ...crossed, stdout: crossed.stdout.slice(1) }],
      ['not base64', { ...crossed, stdout: ['', 'eA==', 'a!b=', ''] }],
      ['not a string', { ...crossed, stdout: ['', 1, '', ''] }],
      ['runs short', { ...crossed, runs: [[2, 1, 100, 1]] }],
      ['a bad failure', { ...crossed, failures: [{ offset: 'x', message: 'm' }] }],
    ];
    for (const [what, result] of broken)
      expect(decodeJobs(batch, result as BatchBytesResult), what).toBeUndefined();
  });

  it('names a command by its template: the same words agree, other words or --shell do not', () => {
    const gzip = commandIdentity(['gzip', '-c', '{}']);
    expect(describeWork(gzip)).toBe('command: gzip -c {}');
    expect(commandIdentity(['gzip', '-c', '{}']).sha256).toBe(gzip.sha256);
    expect(commandIdentity(['gzip', '-9c', '{}']).sha256).not.toBe(gzip.sha256);
    expect(commandIdentity(['gzip', '-c', '{}'], true).sha256).not.toBe(gzip.sha256);
    expect(describeWork(commandIdentity(['sh', '-c', 'echo "$1"', '_', '{}']))).toBe(
      `command: sh -c 'echo "$1"' _ {}`,
    );
    expect(describeWork({ name: 'upper', sha256: 'ab'.repeat(32) })).toBe('upper (sha256 abababababab)');
  });
});

describe('command host usage errors (exit 2, before any broker)', () => {
  it('refuses a command on the coordinator, naming where it belongs', async () => {
    for (const broker of [['--broker', 'redis://127.0.0.1:9'], ['--broker'], ['--queue', 'q']]) {
      const run = await concur(['fan-out', ...broker, '--', 'gzip', '{}'], { input: 'a\n', timeout: 30_000 });
      expect(run.exitCode).toBe(2);
      expect(String(run.stderr)).toMatch(
        /^concur: with a broker the command runs on the worker hosts, not here: start each host with `concur worker --broker URL -- <command> \[args...\]`/,
      );
      expect(String(run.stderr)).not.toMatch(/Did you mean/);
    }
  }, 60_000);

  it('suggests only options that command mode has', async () => {
    const worker = await concur(['fan-out', '--worker', 'upper', '--', 'echo'], {
      input: '',
      timeout: 30_000,
    });
    expect(worker.exitCode).toBe(2);
    expect(String(worker.stderr)).toMatch(/unknown option '--worker'/);
    expect(String(worker.stderr)).not.toMatch(/Did you mean --worker/);
    const shel = await concur(['fan-out', '--shel', '--', 'echo'], { input: '', timeout: 30_000 });
    expect(String(shel.stderr)).toMatch(/Did you mean --shell\?/);
  }, 60_000);

  it('refuses module options beside a command, a command without --, and --shell alone', async () => {
    const env = { CONCUR_BROKER: 'redis://127.0.0.1:9' };
    const cases: [string[], RegExp][] = [
      [['--worker', 'upper', '--', 'echo'], /--worker is for a module host/],
      [['--load-timeout', '1s', '--', 'echo'], /--load-timeout is for a module host/],
      [['echo', '{}'], /put the command after --: concur worker --broker URL -- echo \{\}/],
      [['--shell'], /--shell needs a command after --/],
      [['--'], /give a command after --, e.g. concur worker --broker URL -- gzip -c \{\}/],
    ];
    for (const [args, message] of cases) {
      const run = await concur(['worker', ...args], { env, timeout: 30_000 });
      expect(run.exitCode, args.join(' ')).toBe(2);
      expect(String(run.stderr)).toMatch(message);
    }
  }, 60_000);
});

describe.skipIf(!available)(`command hosts over Redis${why}`, () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  }, 60_000);
  async function redis(): Promise<LocalRedis> {
    const server = await startLocalRedis({ guard: true });
    cleanup.push(() => server.stop());
    return server;
  }

  it('runs the command per item on two hosts: every output once, in input order, {#} as in a local run', async () => {
    const server = await redis();
    for (const name of ['A', 'B']) {
      const host = await startHost(server.url, 'q', name, ['-j', '2', '--', ...BANG]);
      cleanup.push(() => stopHost(host));
    }
    const items = seq(100);
    const run = await concur(['fan-out', '--broker', server.url, '--queue', 'q'], {
      input: text(items),
      timeout: 120_000,
    });
    expect(run.exitCode).toBe(0);
    expect(String(run.stdout)).toBe(items.map((item) => `${item} ${item}!`).join('\n'));
    // The same items through local command fan-out: the same bytes.
    const local = await concur(['fan-out', '-j', '2', '--', ...BANG], {
      input: text(items),
      timeout: 120_000,
    });
    expect(String(run.stdout)).toBe(String(local.stdout));
    const json = await concur(['fan-out', '--broker', server.url, '--queue', 'q', '--json'], {
      input: text(seq(3)),
      timeout: 120_000,
    });
    const records = String(json.stdout)
      .split('\n')
      .map((line) => JSON.parse(line) as { output: string; host: string; worker: number });
    expect(records.map((record) => record.output)).toEqual(['1 1!', '2 2!', '3 3!']);
    for (const record of records) {
      expect(['A', 'B']).toContain(record.host);
      expect([1, 2]).toContain(record.worker);
    }
  }, 180_000);

  it('writes each job stdout byte for byte as local command fan-out does: none, no final newline, lines, binary', async () => {
    const server = await redis();
    for (const name of ['A', 'B']) {
      const host = await startHost(server.url, 'q', name, ['-j', '2', '--', ...KINDS]);
      cleanup.push(() => stopHost(host));
    }
    const kinds = ['empty', 'nonl', 'lines', 'bin', 'one'];
    const items = Array.from({ length: 60 }, (_, i) => kinds[i % kinds.length] as string);
    const run = await concurBytes(['fan-out', '--broker', server.url, '--queue', 'q'], {
      input: text(items),
      timeout: 120_000,
    });
    expect(run.exitCode, Buffer.from(run.stderr).toString()).toBe(0);
    const local = await concurBytes(['fan-out', '-j', '2', '--', ...KINDS], {
      input: text(items),
      timeout: 120_000,
    });
    expect(local.exitCode).toBe(0);
    const expected = Buffer.from('xa\nb\n\nc\n\xff\x00xone\n'.repeat(12), 'latin1');
    expect(Buffer.from(local.stdout)).toEqual(expected);
    expect(Buffer.from(run.stdout)).toEqual(Buffer.from(local.stdout));
    // A failed job's stdout is written too, as locally, and both exit 1.
    const failing = ['one', 'fail', 'nonl'];
    const [remote, here] = await Promise.all(
      [
        ['--broker', server.url, '--queue', 'q'],
        ['--', ...KINDS],
      ].map((args) => concurBytes(['fan-out', ...args], { input: text(failing), timeout: 120_000 })),
    );
    expect(Buffer.from(here!.stdout)).toEqual(Buffer.from('one\nhalfx'));
    expect(Buffer.from(remote!.stdout)).toEqual(Buffer.from(here!.stdout));
    expect([remote!.exitCode, here!.exitCode]).toEqual([1, 1]);
    expect(Buffer.from(remote!.stderr).toString()).toMatch(
      /^concur: line 2 \("fail"\) failed: exited with code 3 on host [AB]\n/,
    );
    // --json keeps its record shape: output as text less one final newline, the bytes in base64 when not UTF-8.
    const json = await concur(['fan-out', '--broker', server.url, '--queue', 'q', '--json'], {
      input: text(kinds),
      timeout: 120_000,
    });
    expect(json.exitCode).toBe(0);
    const records = String(json.stdout)
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map(({ output, outputBase64 }) => [output, outputBase64])).toEqual([
      ['', undefined],
      ['x', undefined],
      ['a\nb\n\nc', undefined],
      ['\ufffd\u0000x', '/wB4'],
      ['one', undefined],
    ]);
    expect(Object.keys(records[3]!)).toEqual([
      'index',
      'input',
      'output',
      'outputBase64',
      'worker',
      'pid',
      'attempts',
      'host',
    ]);
  }, 240_000);

  it('fails an item whose job fails, with the reason on the coordinator and the stderr on the host', async () => {
    const server = await redis();
    const host = await startHost(server.url, 'q', 'A', [
      '-j',
      '2',
      '--',
      'sh',
      '-c',
      'if [ "$1" = 3 ]; then echo "boom $1" >&2; exit 3; fi; echo "$1"',
      '_',
      '{}',
    ]);
    cleanup.push(() => stopHost(host));
    const missing = await startHost(server.url, 'm', 'M', ['--', 'no-such-program-concur', '{}']);
    cleanup.push(() => stopHost(missing));
    const run = await concur(['fan-out', '--broker', server.url, '--queue', 'q'], {
      input: text(seq(5)),
      timeout: 120_000,
    });
    expect(run.exitCode).toBe(1);
    expect(String(run.stdout)).toBe('1\n2\n4\n5');
    expect(String(run.stderr).split('\n')).toEqual([
      'concur: line 3 ("3") failed: exited with code 3 on host A',
      'concur: 1 of 5 items failed; first: line 3 ("3").',
    ]);
    await waitFor(() => host.said().includes('boom 3\n'), 30_000, "the job's stderr on the host");
    const notFound = await concur(['fan-out', '--broker', server.url, '--queue', 'm'], {
      input: 'x\n',
      timeout: 120_000,
    });
    expect(notFound.exitCode).toBe(1);
    expect(String(notFound.stdout)).toBe('');
    expect(String(notFound.stderr)).toMatch(
      /^concur: line 1 \("x"\) failed: command not found: no-such-program-concur \(check the name, or your PATH\) on host M\n/,
    );
  }, 180_000);

  it('bounds the jobs on a host by -j over every batch it holds, and kills a job group at --timeout', async () => {
    const server = await redis();
    const dir = tempDir();
    // Each job counts the jobs running beside it (itself included) while it runs.
    const count = ['sh', '-c', 'touch "$2/$1"; sleep 0.1; ls "$2" | wc -l; rm "$2/$1"', '_', '{}', dir];
    const host = await startHost(server.url, 'q', 'A', ['-j', '2', '--', ...count]);
    cleanup.push(() => stopHost(host));
    const run = await concur(['fan-out', '--broker', server.url, '--queue', 'q', '--json'], {
      input: text(seq(24)),
      timeout: 120_000,
    });
    expect(run.exitCode).toBe(0);
    const records = String(run.stdout)
      .split('\n')
      .map((line) => JSON.parse(line) as { output: string; worker: number });
    expect(records).toHaveLength(24);
    for (const record of records) {
      expect(Number(record.output)).toBeGreaterThanOrEqual(1);
      expect(Number(record.output)).toBeLessThanOrEqual(2);
      expect([1, 2]).toContain(record.worker);
    }
    // A job past --timeout: its whole group goes (the sleep its shell started too), and the item fails.
    const slow = await startHost(server.url, 't', 'T', [
      '--timeout',
      '1s',
      '--',
      'sh',
      '-c',
      'sleep 30.5; echo "$1"',
      '_',
      '{}',
    ]);
    cleanup.push(() => stopHost(slow));
    const timed = await concur(['fan-out', '--broker', server.url, '--queue', 't'], {
      input: 'x\n',
      timeout: 120_000,
    });
    expect(timed.exitCode).toBe(1);
    expect(String(timed.stderr)).toMatch(/^concur: line 1 \("x"\) failed: timed out after 1s on host T\n/);
    expect(living('sleep 30.5', slow.run.pid!)).toEqual([]);
  }, 180_000);

  it('stops a run that meets a module host and a command host, naming both', async () => {
    const server = await redis();
    const a = await startHost(server.url, 'q', 'A', ['--worker', 'upper']);
    cleanup.push(() => stopHost(a));
    const run = concur(['fan-out', '--broker', server.url, '--queue', 'q'], {
      stdin: 'pipe',
      timeout: 120_000,
    });
    run.stdin!.write('a\n');
    await waitForLine(run.stdout!, /A\n/, 60_000);
    await stopHost(a);
    const b = await startHost(server.url, 'q', 'B', ['--', 'echo', '{}']);
    cleanup.push(() => stopHost(b));
    run.stdin!.end('b\n');
    const result = await run;
    expect(result.exitCode).toBe(1);
    expect(String(result.stdout)).toBe('A');
    const stderr = String(result.stderr).trim().split('\n');
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(
      /^concur: hosts disagree on the work: A runs upper \(sha256 [0-9a-f]{12}\) and B runs command: echo \{\}; start every host of queue 'q' with the same --worker or -- <command>\.$/,
    );
  }, 180_000);

  it('on SIGTERM kills every running job and hands its batches back for another host', async () => {
    const server = await redis();
    const dir = tempDir();
    const hold = join(dir, 'hold');
    writeFileSync(hold, '');
    // While the file exists every job waits; the same command on both hosts, so they agree on the work.
    const command = ['sh', '-c', 'while [ -e "$2" ]; do sleep 0.05; done; echo "$1."', '_', '{}', hold];
    const a = await startHost(server.url, 'q', 'A', ['-j', '2', '--', ...command]);
    cleanup.push(() => stopHost(a));
    const run = concur(['fan-out', '--broker', server.url, '--queue', 'q'], {
      input: text(seq(4)),
      timeout: 120_000,
    });
    const jobs = (): number[] =>
      descendants(a.run.pid!).filter((pid) => {
        try {
          return isAlive(pid) && cmdline(pid).includes('while [ -e');
        } catch {
          return false;
        }
      });
    // The process groups the jobs run in (a slot's launcher leads each). Counted by group, not by process: a
    // job's shell forking its sleep shows its own command line for a moment in the child too.
    const groups = (): number[] => [
      ...new Set(
        jobs().flatMap((pid) => {
          try {
            return [pgidOf(pid)];
          } catch {
            return [];
          }
        }),
      ),
    ];
    // The groups as seen when both were there: a second look at /proc can miss a process that is forking.
    let running: number[] = [];
    await waitFor(() => (running = groups()).length === 2, 60_000, 'two jobs running on host A');
    expect(running).toHaveLength(2);
    // Not execa's kill(), which SIGKILLs after 5 s: on a loaded machine the host may take longer to stop.
    process.kill(a.run.pid!, 'SIGTERM');
    const stopped = await a.run;
    expect(stopped.exitCode, `${String(stopped.signal)}: ${String(stopped.stderr)}`).toBe(143);
    expect(String(stopped.stderr)).toMatch(/handed \d+ batch(es)? back to the queue/);
    // Each job led its own process group: nothing of any of them is left, the job or its sleep.
    expect(inGroups(running)).toEqual([]);
    expect(existsSync(hold)).toBe(true);
    rmSync(hold);
    const b = await startHost(server.url, 'q', 'B', ['-j', '2', '--', ...command]);
    cleanup.push(() => stopHost(b));
    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toBe('1.\n2.\n3.\n4.');
  }, 180_000);
});

const cmdline = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');

// Live processes whose command line holds `text`, apart from `except` (the host, whose own argv holds it).
function living(text: string, except: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return pid !== except && isAlive(pid) && cmdline(pid).includes(text);
      } catch {
        return false;
      }
    });
}

const pgidOf = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
};

// Live processes (zombies are dead) whose process group is one of `groups`: a job or anything it started.
function inGroups(groups: readonly number[]): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (groups.includes(pgidOf(Number(name))) && isAlive(Number(name))) found.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
