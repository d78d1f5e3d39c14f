// concur fan-out and the WorkerPool behind it, driven as a user would: the built CLI, real worker processes,
// tiny fixture modules. Library tests import the built package.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { map, WorkerPool, type ItemResult, type PoolEvent } from '../../../dist/index.js';
import {
  cleanEnv,
  concur,
  concurBytes,
  concurCommand,
  fixture,
  hasEscapes,
  inTerminal,
  isAlive,
  shq,
  waitFor,
  tempDirs,
} from '../../helpers.js';

const tempDir = tempDirs('fan-out');

const lines = (output: unknown): string[] => {
  const text = String(output ?? '');
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
};
const pidsIn = (dir: string): number[] => readdirSync(dir).map(Number);

describe('concur fan-out: output', () => {
  it('writes one line per input line, in input order', async () => {
    const input = Array.from({ length: 5000 }, (_, i) => `item ${i}`);
    const result = await concur(['fan-out', '-j', '2', '--worker', 'upper'], { input: input.join('\n') });
    expect(result.exitCode).toBe(0);
    expect(lines(result.stdout)).toEqual(input.map((line) => line.toUpperCase()));
    expect(result.stderr).toBe('');
  });

  it('round-trips 100,000 lines, non-ASCII text and a 3 MB line unchanged', async () => {
    const input = Array.from({ length: 100_000 }, (_, i) => `${i} καλημέρα 日本 🙂`);
    input[500] = 'x'.repeat(3 * 1024 * 1024);
    input[600] = '';
    const text = `${input.join('\n')}\n`;
    const result = await concur(['fan-out', '-j', '2'], { input: text, stripFinalNewline: false });
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout).length).toBe(text.length);
    expect(result.stdout === text).toBe(true);
  });

  it('gives the same bytes from a file on stdin (read 1 MiB at a time) as from a pipe', async () => {
    // \r stays in its line, empty lines count, a 3 MiB line spans reads, invalid UTF-8 becomes U+FFFD (as it
    // always has: the worker is given strings), and the last line has no newline.
    const input = Buffer.concat([
      Buffer.from('crlf\r\n\n\nκαλημέρα 🙂\n'),
      Buffer.from([0xff, 0x41, 0x0a, 0xe2, 0x82, 0x0a]),
      Buffer.from(`${'y'.repeat(3 * 1024 * 1024)}\n`),
      Buffer.from(Array.from({ length: 50_000 }, (_, i) => `${i}\n`).join('')),
      Buffer.from('last'),
    ]);
    const expected = Buffer.from(
      `crlf\r\n\n\nκαλημέρα 🙂\n\ufffdA\n\ufffd\n${'y'.repeat(3 * 1024 * 1024)}\n` +
        Array.from({ length: 50_000 }, (_, i) => `${i}\n`).join('') +
        'last\n',
    );
    const file = join(tempDir(), 'input.bin');
    writeFileSync(file, input);
    const fromFile = await execa('bash', ['-c', `${concurCommand(['fan-out', '-j', '2'])} < "$0"`, file], {
      encoding: 'buffer',
      reject: false,
      stripFinalNewline: false,
      env: cleanEnv(),
    });
    const fromPipe = await concurBytes(['fan-out', '-j', '2'], { input });
    expect([fromFile.exitCode, fromPipe.exitCode]).toEqual([0, 0]);
    expect(Buffer.from(fromFile.stdout).equals(expected)).toBe(true);
    expect(Buffer.from(fromPipe.stdout).equals(expected)).toBe(true);
  }, 60_000);

  it("runs a batch through the module's chunk export when it can, and line by line when it cannot", async () => {
    const run = async (input: string | Uint8Array, ...args: string[]): Promise<string> => {
      const result = await concur(['fan-out', '-j', '1', '--worker', fixture('chunk-probe.js'), ...args], {
        input,
        stripFinalNewline: false,
      });
      expect(result.exitCode).toBe(0);
      return String(result.stdout);
    };
    // A last line without a newline goes to the default export, as in a pipeline.
    expect(await run('a\nb\n')).toBe('chunk:a\nchunk:b\n');
    expect(await run('a\nb')).toBe('chunk:a\nline:b\n');
    // chunk gave fewer lines than items, or threw: the default export answers each line.
    expect(await run('drop\n')).toBe('line:drop\n');
    expect(await run('throw\n')).toBe('line:throw\n');
    // Bytes that are not UTF-8 (U+FFFD for the module, as always), --json: line by line.
    expect(await run(Buffer.from([0xff, 0x0a]))).toBe('line:\ufffd\n');
    // A timeout bounds the whole chunk call, which ends well within it here.
    expect(await run('a\n', '--timeout', '10s')).toBe('chunk:a\n');
    expect(JSON.parse(await run('a\n', '--json'))).toMatchObject({ input: 'a', output: 'line:a' });
  }, 60_000);

  it('gives empty output for empty input, and treats a last line without a newline as an item', async () => {
    const empty = await concur(['fan-out'], { input: '' });
    expect([empty.exitCode, empty.stdout, empty.stderr]).toEqual([0, '', '']);
    const last = await concur(['fan-out', '--worker', 'upper'], { input: 'a\nb', stripFinalNewline: false });
    expect(last.stdout).toBe('A\nB\n');
  });

  it('--unordered writes results as they finish; ordered waits for the slow first item', async () => {
    const input = ['400:slow', ...Array.from({ length: 20 }, (_, i) => `0:fast${i}`)].join('\n');
    const args = ['fan-out', '-j', '2', '--worker', fixture('sleep.js')];
    const [ordered, unordered] = await Promise.all([
      concur(args, { input }),
      concur([...args, '--unordered'], { input }),
    ]);
    expect(lines(ordered.stdout)[0]).toBe('slow');
    expect(lines(ordered.stdout)).toHaveLength(21);
    expect(lines(unordered.stdout)[0]).not.toBe('slow');
    expect([...lines(unordered.stdout)].sort()).toEqual([...lines(ordered.stdout)].sort());
  });

  it('--json writes one parseable object per item with index, input, output, worker and pid', async () => {
    const result = await concur(['fan-out', '-j', '2', '--worker', 'is-prime', '--json'], {
      input: '2\n4\n112272535095293\n',
    });
    expect(result.exitCode).toBe(0);
    const objects = lines(result.stdout).map((line) => JSON.parse(line) as ItemResult);
    expect(objects.map((o) => [o.index, o.input, o.output])).toEqual([
      [0, '2', 'true'],
      [1, '4', 'false'],
      [2, '112272535095293', 'true'],
    ]);
    for (const o of objects) {
      expect([1, 2]).toContain(o.worker);
      expect(o.pid).toBeGreaterThan(0);
      expect(o.attempts).toBe(1);
    }
  });

  it("keeps a worker's console.log off stdout", async () => {
    const pids = tempDir();
    const result = await concur(['fan-out', '-j', '1', '--worker', fixture('pid-file.js')], {
      input: 'a\nb\n',
      env: { ...cleanEnv(), FANOUT_PIDS: pids },
    });
    expect(result.stdout).toBe('a\nb');
    expect(result.stderr).toMatch(/worker \d+ loaded/);
  });
});

describe('concur fan-out: progress', () => {
  it('draws done/total, rate and ETA on a terminal, and keeps it out of stdout', async () => {
    const out = join(tempDir(), 'out.txt');
    const items = Array.from({ length: 12 }, (_, i) => `150:r${i}`).join('\\n');
    const run = await inTerminal(
      `printf ${shq(items)} | ${concurCommand(['fan-out', '-j', '2', '--worker', fixture('sleep.js')])} > ${shq(out)}`,
    );
    expect(run.exitCode).toBe(0);
    expect(String(run.stdout)).toMatch(/fan-out -j 2: \d+ \/ 12 items · ETA \d+s · [\d,]+\/s/);
    expect(readFileSync(out, 'utf8')).toBe(`${Array.from({ length: 12 }, (_, i) => `r${i}`).join('\n')}\n`);
  });

  it('draws nothing when stderr is not a terminal, or under CI', async () => {
    const input = Array.from({ length: 8 }, (_, i) => `100:r${i}`).join('\n');
    const piped = await concur(['fan-out', '-j', '2', '--worker', fixture('sleep.js')], { input });
    expect(piped.stderr).toBe('');
    const ci = await inTerminal(
      `printf ${shq(input.replaceAll('\n', '\\n'))} | ${concurCommand(['fan-out', '--worker', fixture('sleep.js')])} >/dev/null`,
      { CI: 'true' },
    );
    expect(ci.exitCode).toBe(0);
    expect(hasEscapes(String(ci.stdout))).toBe(false);
  });
});

describe('concur fan-out: failures', () => {
  it('reports an item that throws on stderr, goes on with the others, and exits 1 with a count', async () => {
    const result = await concur(['fan-out', '-j', '2', '--worker', fixture('throws.js')], {
      input: 'abc\nbad one\nxyz\nnumber\n',
    });
    expect(result.exitCode).toBe(1);
    expect(lines(result.stdout)).toEqual(['cba', 'zyx']);
    expect(result.stderr).toContain('line 2 ("bad one") failed: cannot handle bad one');
    expect(result.stderr).toContain('line 4 ("number") failed: the worker returned number, not a string');
    expect(result.stderr).toContain('2 of 4 items failed');
  });

  it('puts the error in the error field with --json', async () => {
    const result = await concur(['fan-out', '--json', '--worker', fixture('throws.js')], {
      input: 'ok\nbad\n',
    });
    expect(result.exitCode).toBe(1);
    const [ok, bad] = lines(result.stdout).map((line) => JSON.parse(line) as ItemResult);
    expect(ok).toMatchObject({ index: 0, output: 'ko' });
    expect(bad).toMatchObject({ index: 1, input: 'bad', error: 'cannot handle bad' });
    expect(bad?.output).toBeUndefined();
  });

  it('retries the items in flight on a worker that died, and outputs each exactly once', async () => {
    const marks = tempDir();
    const input = Array.from({ length: 3000 }, (_, i) => (i % 1000 === 500 ? `crash ${i}` : `item ${i}`));
    const result = await concur(['fan-out', '-j', '2', '--json', '--worker', fixture('crash-once.js')], {
      input: input.join('\n'),
      env: { ...cleanEnv(), FANOUT_MARKS: marks },
    });
    expect(result.exitCode).toBe(0);
    const objects = lines(result.stdout).map((line) => JSON.parse(line) as ItemResult);
    expect(objects.map((o) => o.index)).toEqual(input.map((_, i) => i));
    expect(objects.map((o) => o.output)).toEqual(input);
    expect(readdirSync(marks)).toHaveLength(3);
    // A crash item ran at least twice: once when it killed its worker, once more to succeed. (A third run
    // happens when it first sat, unrun, in a batch that another crash item killed.)
    for (const o of objects.filter((o) => o.input.startsWith('crash'))) expect([2, 3]).toContain(o.attempts);
    expect(objects.filter((o) => o.attempts > 1).length).toBeLessThan(input.length);
    expect(result.stderr).toMatch(/worker \d \(pid \d+\) died \(exit code 3\)/);
    expect(result.stderr).toMatch(/worker \d restarted as pid \d+/);
  });

  it('fails only the item that kills its worker every time, after --retries more attempts', async () => {
    const input = ['a', 'b', 'poison', 'c', 'd'].join('\n');
    const result = await concur(
      ['fan-out', '-j', '2', '--retries', '2', '--worker', fixture('crash-on.js')],
      {
        input,
      },
    );
    expect(result.exitCode).toBe(1);
    expect(lines(result.stdout)).toEqual(['a', 'b', 'c', 'd']);
    expect(result.stderr).toMatch(
      /line 3 \("poison"\) failed: worker \d \(pid \d+\) died while running this item: killed by SIGKILL \(3 attempts\)/,
    );
    expect(result.stderr).toContain('1 of 5 items failed');
  });

  it('stops with a clear error when a worker keeps dying (restart intensity)', async () => {
    const input = Array.from({ length: 1000 }, (_, i) => String(i)).join('\n');
    const result = await concur(['fan-out', '-j', '2', '--worker', fixture('always-crash.js')], { input });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/worker \d kept dying \(exit code 1\): more than 10 restarts in 5 s/);
    expect(lines(result.stdout)).toEqual([]);
  }, 90_000);

  it('stops when a worker dies at start-up, before reading input', async () => {
    const child = concur(
      ['fan-out', '-j', '2', '--max-restarts', '3', '--worker', fixture('crash-at-start.js')],
      {
        stdin: 'pipe',
      },
    );
    const result = await child;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/kept dying at start-up \(exit code 7\): more than 3 restarts/);
  });

  it.each([
    ['a missing file', 'no-such-worker.js', /module not found: no-such-worker\.js/],
    ['a syntax error', fixture('syntax-error.js'), /cannot load .*syntax-error\.js: Unexpected token/],
    ['no default export', fixture('no-default.js'), /no-default\.js has no default export function/],
  ])('rejects %s with one line and exit 2, before any input is read', async (_name, worker, message) => {
    // stdin stays open: concur must not wait for it.
    const result = await concur(['fan-out', '--worker', worker], { stdin: 'pipe', timeout: 20_000 });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stdout).toBe('');
  });
});

describe('concur fan-out: no orphans', () => {
  it('| head -1 ends quietly with exit 0 and leaves no worker behind', async () => {
    const pids = tempDir();
    const command = `seq 2000000 | ${concurCommand(['fan-out', '-j', '2', '--worker', fixture('pid-file.js')])} 2>/dev/null | head -1; echo "status \${PIPESTATUS[1]}" >&2`;
    const result = await execa('bash', ['-c', command], {
      env: { ...cleanEnv(), FANOUT_PIDS: pids },
      reject: false,
    });
    expect(result.stdout).toBe('1');
    expect(result.stderr).toBe('status 0');
    expect(pidsIn(pids)).toHaveLength(2);
    await waitFor(() => pidsIn(pids).every((pid) => !isAlive(pid)), 5000, 'workers to exit');
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGKILL', null],
  ] as const)('%s of concur leaves no worker behind', async (signal, code) => {
    const pids = tempDir();
    const child = concur(['fan-out', '-j', '2', '--worker', fixture('pid-file.js')], {
      stdin: 'pipe',
      env: { ...cleanEnv(), FANOUT_PIDS: pids },
    });
    child.stdin?.write('slow:100000\n');
    await waitFor(() => pidsIn(pids).length === 2, 10_000, 'two workers');
    child.kill(signal);
    const result = await child;
    // Ctrl-C and SIGTERM are handled (130, 143); SIGKILL cannot be, so concur dies by the signal itself.
    expect([result.exitCode, result.signal]).toEqual(
      code === null ? [undefined, 'SIGKILL'] : [code, undefined],
    );
    await waitFor(() => pidsIn(pids).every((pid) => !isAlive(pid)), 5000, 'workers to exit');
  });
});

describe('WorkerPool and map (library)', () => {
  it('run() answers every item of a batch, with worker ids, and survives a worker killed mid-batch', async () => {
    const events: PoolEvent[] = [];
    const pool = await WorkerPool.start({
      worker: fixture('crash-on.js'),
      jobs: 2,
      onEvent: (e) => events.push(e),
    });
    try {
      expect(pool.workers.map((w) => w.worker)).toEqual([1, 2]);
      const batch = ['a', 'poison', 'b', 'c'].map((input, i) => ({ index: i + 10, input }));
      const results = await pool.run(batch);
      expect(results.map((r) => [r.index, r.output ?? 'ERR'])).toEqual([
        [10, 'a'],
        [11, 'ERR'],
        [12, 'b'],
        [13, 'c'],
      ]);
      expect(results[1]?.error).toMatch(/killed by SIGKILL \(2 attempts\)/);
      expect(events.filter((e) => e.type === 'crash')).toHaveLength(2);
      expect(events.filter((e) => e.type === 'restart')).toHaveLength(2);
      // Still usable afterwards.
      expect((await pool.run([{ index: 0, input: 'again' }]))[0]?.output).toBe('again');
    } finally {
      await pool.close();
    }
    for (const { pid } of pool.workers) expect(isAlive(pid)).toBe(false);
  });

  it('start() rejects a bad module with a UsageError (exit code 2)', async () => {
    await expect(WorkerPool.start({ worker: fixture('no-default.js'), jobs: 1 })).rejects.toMatchObject({
      exitCode: 2,
      code: 'EBADMODULE',
    });
  });

  it('map() streams ordered results from an async iterable, and unordered ones on request', async () => {
    async function* numbers(): AsyncGenerator<string> {
      for (let i = 0; i < 2000; i++) yield String(i);
    }
    const ordered: string[] = [];
    for await (const result of map(numbers(), 'is-prime', { jobs: 2 }))
      ordered.push(`${result.input}:${result.output}`);
    expect(ordered.slice(0, 4)).toEqual(['0:false', '1:false', '2:true', '3:true']);
    expect(ordered).toHaveLength(2000);
    const unordered: number[] = [];
    for await (const result of map(['30:a', '0:b', '0:c'], fixture('sleep.js'), { jobs: 2, ordered: false }))
      unordered.push(result.index);
    expect(unordered.sort()).toEqual([0, 1, 2]);
  });
});
