// concur fan-out at its edges (issue 19): a bound on every item (--timeout), a -j that fits the machine and
// stays interruptible while it forks, a prompt shutdown with busy workers, the terminal hint, failures named by
// line and text, and worker hosts whose console goes to stderr. Driven through the built CLI, with fixtures.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../../dist/index.js';
import { hasRedisServer, startLocalRedis } from '../../../dist/patterns/distributed/local-redis.js';
import {
  concur,
  concurBytes,
  concurCommand,
  fixture,
  inTerminal,
  isAlive,
  tempDirs,
  waitFor,
  waitForLine,
} from '../../helpers.js';

const tempDir = tempDirs('fan-out-edges');
const lines = (output: unknown): string[] => {
  const text = String(output ?? '');
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
};
const pidsIn = (dir: string): number[] => readdirSync(dir).map(Number);

// Every live process started with `key=value` in its environment: the workers of one test, and no one else's.
function processesWith(key: string, value: string): number[] {
  const wanted = `${key}=${value}`;
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (
        readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(wanted) &&
        isAlive(Number(name))
      )
        found.push(Number(name));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

describe('fan-out --timeout', () => {
  it.each([
    ['loops forever (a synchronous loop)', 'loop-on.js', 'loop'],
    ['returns a promise that never settles', 'never-settles.js', 'hang'],
  ])(
    'fails an item that %s as "timed out", kills and replaces its worker, and goes on',
    async (_what, module, bad) => {
      const input = ['a', 'b', bad, 'c', 'd'].join('\n');
      const result = await concur(
        ['fan-out', '-j', '2', '--timeout', '500ms', '--retries', '0', '--worker', fixture(module)],
        { input, timeout: 60_000 },
      );
      expect(result.exitCode).toBe(1);
      expect(lines(result.stdout)).toEqual(['a', 'b', 'c', 'd']);
      expect(result.stderr).toContain(`concur: line 3 ("${bad}") failed: timed out after 500ms`);
      expect(result.stderr).toMatch(/killed: an item ran longer than 500ms/);
      expect(result.stderr).toMatch(/restarted as pid \d+/);
    },
    90_000,
  );

  it('applies --retries to a timed-out item as to a death', async () => {
    const result = await concur(
      ['fan-out', '-j', '1', '--timeout', '300ms', '--retries', '1', '--worker', fixture('loop-on.js')],
      { input: 'loop\nok\n', timeout: 60_000 },
    );
    expect(result.exitCode).toBe(1);
    expect(lines(result.stdout)).toEqual(['ok']);
    expect(result.stderr).toContain('concur: line 1 ("loop") failed: timed out after 300ms (2 attempts)');
  }, 90_000);

  it('leaves items that take less than the timeout alone', async () => {
    const input = ['300:a', '0:b', '300:c'].join('\n');
    const result = await concur(['fan-out', '-j', '2', '--timeout', '10s', '--worker', fixture('sleep.js')], {
      input,
      timeout: 60_000,
    });
    expect([result.exitCode, result.stderr]).toEqual([0, '']);
    expect(lines(result.stdout)).toHaveLength(3);
  }, 90_000);

  it('bounds a whole chunk call by the timeout, then times the items of a batch that outran it one by one', async () => {
    // chunk-hang.js hangs on "hang" through `chunk` and through its default export alike.
    const worker = ['--worker', fixture('chunk-hang.js')];
    const small = await concur(['fan-out', '--timeout', '500ms', ...worker], {
      input: 'a\nhang\nb\n',
      timeout: 60_000,
    });
    expect(small.exitCode).toBe(1);
    expect(lines(small.stdout)).toEqual(['a', 'b']);
    expect(small.stderr).toMatch(/^concur: line 2 \("hang"\) failed: timed out after 500ms/m);

    // Among thousands of lines, "hang" arrives inside a batch of many: that chunk call is killed, and its
    // items are re-run one at a time through the default export.
    const before = Array.from({ length: 3000 }, (_, i) => `${i}`);
    const after = Array.from({ length: 1000 }, (_, i) => `after ${i}`);
    const big = await concur(['fan-out', '-j', '1', '--timeout', '500ms', '--retries', '0', ...worker], {
      input: [...before, 'hang', ...after].join('\n') + '\n',
      timeout: 60_000,
    });
    expect(big.exitCode).toBe(1);
    expect(lines(big.stdout)).toEqual([...before, ...after]);
    const hung = [...String(big.stderr).matchAll(/chunk-hang: a batch of (\d+) lines hangs/g)];
    expect(hung.map((match) => Number(match[1]))).toHaveLength(1);
    expect(Number(hung[0]?.[1])).toBeGreaterThan(1);
    expect(big.stderr).toContain('concur: line 3001 ("hang") failed: timed out after 500ms');
  }, 90_000);

  it('gives the same bytes with --timeout as without when every chunk call ends within it', async () => {
    // chunk-probe.js marks each line with the way it ran: "chunk:" through `chunk`, "line:" line by line.
    const input = Array.from({ length: 20_000 }, (_, i) => `item ${i}`).join('\n') + '\n';
    const run = (...extra: string[]) =>
      concurBytes(['fan-out', '-j', '2', ...extra, '--worker', fixture('chunk-probe.js')], {
        input,
        timeout: 60_000,
      });
    const [plain, timed] = await Promise.all([run(), run('--timeout', '10s')]);
    const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();
    expect([plain.exitCode, timed.exitCode, text(timed.stderr)]).toEqual([0, 0, '']);
    expect(text(plain.stdout).startsWith('chunk:item 0\n')).toBe(true);
    expect(Buffer.from(timed.stdout).equals(Buffer.from(plain.stdout))).toBe(true);
  }, 90_000);

  it('rejects a timeout without a valid duration with exit 2', async () => {
    const result = await concur(['fan-out', '--timeout', 'soon'], { input: '', timeout: 30_000 });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--timeout .*like 500ms, 10s or 2m/);
  }, 60_000);

  it('timeoutMs in the library fails the item and answers the rest of its batch', async () => {
    const pool = await WorkerPool.start({
      worker: fixture('loop-on.js'),
      jobs: 1,
      timeoutMs: 300,
      retries: 0,
    });
    try {
      const results = await pool.run(['a', 'loop', 'b'].map((input, index) => ({ index, input })));
      expect(results.map((r) => r.output ?? r.error)).toEqual(['a', 'timed out after 300ms', 'b']);
    } finally {
      await pool.close();
    }
  }, 90_000);
});

describe('fan-out -j', () => {
  const cores = availableParallelism();
  it.each([
    ['50%', Math.max(1, Math.floor(cores / 2))],
    ['+1', cores + 1],
    ['-1', Math.max(1, cores - 1)],
    ['3', 3],
  ])(
    '-j %s starts the matching number of workers',
    async (jobs, expected) => {
      const pids = tempDir();
      const result = await concur(['fan-out', '-j', jobs, '--worker', fixture('pid-file.js')], {
        input: 'x\n',
        env: { FANOUT_PIDS: pids },
        timeout: 60_000,
      });
      expect(result.exitCode).toBe(0);
      expect(pidsIn(pids)).toHaveLength(expected);
    },
    90_000,
  );

  it('refuses a count the machine cannot hold with exit 2, one line naming the largest safe value, before forking', async () => {
    const pids = tempDir();
    const result = await concur(['fan-out', '-j', '1000000', '--worker', fixture('pid-file.js')], {
      stdin: 'pipe',
      env: { FANOUT_PIDS: pids },
      timeout: 30_000,
    });
    expect(result.exitCode).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/-j 1000000 .* largest safe value is -j \d+ \(/);
    expect(result.stdout).toBe('');
    expect(pidsIn(pids)).toHaveLength(0);
  }, 60_000);

  it('start() forks the workers one at a time and resolves only once every one is ready', async () => {
    const ready: number[] = [];
    const pool = await WorkerPool.start({
      worker: 'identity',
      jobs: 4,
      onEvent: (event) => {
        if (event.type === 'ready') ready.push(event.worker);
      },
    });
    try {
      expect(ready.sort()).toEqual([1, 2, 3, 4]);
      expect(pool.workers).toHaveLength(4);
    } finally {
      await pool.close();
    }
  }, 90_000);

  it('rejects a malformed count with exit 2', async () => {
    const result = await concur(['fan-out', '-j', 'lots'], { input: '', timeout: 30_000 });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/N \(4\), a share of the \d+ cores \(50%\)/);
  }, 60_000);

  it('SIGTERM while 40 workers start ends concur with 143 and leaves none of them', async () => {
    const pids = tempDir();
    const child = concur(['fan-out', '-j', '40', '--worker', fixture('pid-file.js')], {
      stdin: 'pipe',
      env: { FANOUT_PIDS: pids },
      timeout: 60_000,
    });
    await waitFor(() => pidsIn(pids).length > 0, 30_000, 'the first worker');
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(143);
    // Every process that carries this test's directory in its environment: loaded or still starting.
    await waitFor(() => processesWith('FANOUT_PIDS', pids).length === 0, 10_000, 'every worker to exit');
  }, 90_000);
});

describe('fan-out shutdown with busy workers', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)(
    '%s kills busy workers at once: they never finish their item',
    async (signal, code) => {
      const marks = tempDir();
      // Each item runs 1.5 s without yielding: long enough to be caught busy, shorter than a 2 s grace period.
      const child = concur(['fan-out', '-j', '2', '--worker', fixture('busy-marks.js')], {
        stdin: 'pipe',
        env: { MARKS: marks },
        timeout: 60_000,
      });
      child.stdin?.write('1500\n1500\n');
      const busy = new Set<number>();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('workers never said busy')), 30_000);
        let buffer = '';
        child.stderr?.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          for (const match of buffer.matchAll(/busy (\d+)\n/g)) busy.add(Number(match[1]));
          if (busy.size === 2) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      child.kill(signal);
      const result = await child;
      expect(result.exitCode).toBe(code);
      await waitFor(() => [...busy].every((pid) => !isAlive(pid)), 10_000, 'busy workers to exit');
      // Dead workers write nothing more: had they been left to finish their item, the marks would be there.
      expect(readdirSync(marks)).toEqual([]);
    },
    90_000,
  );
});

describe('fan-out messages', () => {
  it('names a failed item by its line number and its text, shortened', async () => {
    const long = `bad ${'x'.repeat(100)}`;
    const result = await concur(['fan-out', '-j', '1', '--worker', fixture('throws.js')], {
      input: ['ok', 'bad', long].join('\n'),
      timeout: 60_000,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^concur: line 2 \("bad"\) failed: /m);
    expect(result.stderr).toContain(`concur: line 3 ("${long.slice(0, 57)}...") failed: `);
  }, 90_000);

  it('says how to end input when stdin is a terminal', async () => {
    const run = inTerminal(`${concurCommand(['fan-out', '-j', '1'])}`);
    await waitForLine(run.stdout!, /reading lines from the terminal; end with Ctrl-D/, 30_000);
    run.stdin?.write('\u0004');
    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toContain(
      'concur fan-out: reading lines from the terminal; end with Ctrl-D.',
    );
  }, 90_000);
});

const redisHere = hasRedisServer();
describe.skipIf(!redisHere)('concur worker (a worker host)', () => {
  it("sends a worker module's console output to stderr, and --timeout fails a stuck item there too", async () => {
    const redis = await startLocalRedis({ guard: true });
    const pids = tempDir();
    const queue = `edges-${process.pid}`;
    const host = concur(
      [
        'worker',
        '--broker',
        redis.url,
        '--queue',
        queue,
        '-j',
        '1',
        '--worker',
        fixture('loop-on.js'),
      ].concat(['--timeout', '500ms', '--retries', '0']),
      { timeout: 120_000 },
    );
    const logged = concur(
      [
        'worker',
        '--broker',
        redis.url,
        '--queue',
        `${queue}-log`,
        '-j',
        '1',
        '--worker',
        fixture('pid-file.js'),
      ],
      { timeout: 120_000, env: { FANOUT_PIDS: pids } },
    );
    try {
      // Both at once: a line that arrives before its listener is attached is not seen.
      await Promise.all(
        [host, logged].map((run) => waitForLine(run.stderr!, /ready, pulling from queue/, 30_000)),
      );
      const fanned = await concur(['fan-out', '--broker', redis.url, '--queue', `${queue}-log`], {
        input: 'one\ntwo\n',
        timeout: 60_000,
      });
      expect([fanned.exitCode, fanned.stdout]).toEqual([0, 'one\ntwo']);
      const stuck = await concur(['fan-out', '--broker', redis.url, '--queue', queue], {
        input: 'a\nloop\nb\n',
        timeout: 60_000,
      });
      expect(stuck.exitCode).toBe(1);
      expect(stuck.stdout).toBe('a\nb');
      expect(stuck.stderr).toContain('concur: line 2 ("loop") failed: timed out after 500ms');
    } finally {
      for (const run of [host, logged]) run.kill('SIGTERM');
      await redis.stop();
    }
    const [hostResult, loggedResult] = await Promise.all([host, logged]);
    // pid-file.js logs "worker <pid> loaded" with console.log: on the host's stderr, never its stdout.
    expect(loggedResult.stdout).toBe('');
    expect(loggedResult.stderr).toMatch(/worker \d+ loaded/);
    expect(hostResult.exitCode).toBe(143);
  }, 150_000);
});
