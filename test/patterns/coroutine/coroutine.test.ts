/**
 * Coroutines: the two demos (every step's output pinned), `concur coroutine` over real stdin/stdout
 * (stage forms, ordering, flush, errors, bad modules, | head), the scheduler's semantics in-process, and
 * the equality of `concur coroutine` and `concur pipeline` on the same stages and input.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  Scheduler,
  getTid,
  killTask,
  newTask,
  sleep,
  waitTask,
  type TaskBody,
} from '../../../src/patterns/scheduler/scheduler.js';
import {
  broadcast,
  collect,
  coroutine,
  grep,
  mapCoroutine,
  pushAll,
  throwInto,
} from '../../../src/patterns/coroutine/coroutine.js';
import { concur, concurBin, concurBytes, descendants, fixture, isAlive } from '../../helpers.js';

const lines = (text: string): string[] =>
  text.split('\n').filter((line, i, all) => i < all.length - 1 || line !== '');

describe('concur demo coroutine', () => {
  it('prints each of the six steps, the last from a child process', async () => {
    const run = await concur(['demo', 'coroutine']);
    expect(run.exitCode).toBe(0);
    expect(lines(String(run.stdout))).toEqual([
      // 1. pulled by iteration
      'Counting down from 5',
      '5 4 3 2 1',
      // 2. unprimed: the first value is lost; primed: every line counts
      'Looking for python',
      'python is fun',
      'Going away. Goodbye',
      'Looking for python',
      'python generators rock!',
      // 3. return() runs finally; throw() raises at the yield
      'Going away. Goodbye',
      'after return(): done = true',
      'Looking for python',
      'Going away. Goodbye',
      "throw(): RangeError: You're hosed came back out",
      'after throw(): done = true',
      // 4. push pipeline, broadcast, fan-in
      'python generators rock!',
      'ply is a parser generator written in python',
      'swig wraps C libraries for python',
      'python: python generators rock!',
      'python: ply is a parser generator written in python',
      'ply: ply is a parser generator written in python',
      'python: swig wraps C libraries for python',
      'swig: swig wraps C libraries for python',
      'ply: ply and swig, side by side',
      'swig: ply and swig, side by side',
      'python generators rock!',
      'ply is a parser generator written in python',
      'ply is a parser generator written in python',
      'swig wraps C libraries for python',
      'swig wraps C libraries for python',
      'ply and swig, side by side',
      'ply and swig, side by side',
      '(printer closed)',
      // 5. re-entrance
      'TypeError: Generator is already running',
      'the broadcast is now finished: done = true',
      // 6. the same grep in a child process
      'Looking for python',
      'python generators rock!',
      'ply is a parser generator written in python',
      'swig wraps C libraries for python',
      'Going away. Goodbye',
      'same output as in-process: yes',
    ]);
    const stderr = String(run.stderr);
    for (const step of [1, 2, 3, 4, 5, 6]) expect(stderr).toContain(`== ${step}. `);
    const pid = Number(/child pid (\d+): received 6 values/.exec(stderr)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);
  });

  it('--json gives one result event per line, tagged with its step', async () => {
    const run = await concur(['demo', 'coroutine', '--json']);
    expect(run.exitCode).toBe(0);
    const events = lines(String(run.stdout)).map(
      (line) => JSON.parse(line) as { kind: string; data?: { step?: number; type?: string } },
    );
    const results = events.filter((event) => event.kind === 'result');
    expect(results).toHaveLength(39);
    expect(results.at(-1)?.data?.step).toBe(6);
    expect(events.some((event) => event.kind === 'send' && event.data?.type === 'close')).toBe(true);
  });
});

describe('concur demo scheduler', () => {
  it('pins task ids, kill, wait, errors, timers and I/O (pyos4–pyos8)', async () => {
    const run = await concur(['demo', 'scheduler']);
    expect(run.exitCode).toBe(0);
    const fooBar = Array.from({ length: 5 }, () => ["I'm foo 1", "I'm bar 2"]).flat();
    expect(lines(String(run.stdout))).toEqual([
      // 1. pyos4: GetTid, round robin, exit
      ...fooBar,
      'Task 1 terminated',
      ...Array<string>(5).fill("I'm bar 2"),
      'Task 2 terminated',
      // 2. pyos5: NewTask, KillTask
      ...Array<string>(5).fill("I'm foo 2"),
      'Task 2 terminated',
      'main done',
      'Task 1 terminated',
      // 3. pyos6: WaitTask, exactly as Beazley's output
      "I'm foo",
      'Waiting for child',
      "I'm foo",
      "I'm foo",
      "I'm foo",
      "I'm foo",
      'Task 2 terminated',
      'Child done',
      'Task 1 terminated',
      // ...and a task that throws, reported to its waiter
      'Task 2 terminated: Error: disk on fire',
      'child 2 ended: threw (Error: disk on fire)',
      'waiting for task 99, which does not exist: returns at once',
      'Task 1 terminated',
      // 4. timers
      'fast: tick 1 at 30 ms',
      'fast: tick 2 at 60 ms',
      'slow: tick 1 at 70 ms',
      'fast: tick 3 at 90 ms',
      'Task 1 terminated',
      'slow: tick 2 at 140 ms',
      'Task 2 terminated',
      // 5. I/O: an echo server and client over loopback, with a ticking task alongside
      'server: listening',
      'server: connection accepted',
      'server: echo "hello"',
      'client: got "hello"',
      'server: echo "coroutines"',
      'client: got "coroutines"',
      'server: client closed the connection',
      'Task 4 terminated',
      'Task 3 terminated',
      'Task 2 terminated',
      'server: done',
      'Task 1 terminated',
    ]);
    expect(String(run.stderr)).toMatch(/the ticking task ran [1-9]\d* times/);
  });
});

describe('the coroutine library', () => {
  it('pushes through filter, map and broadcast, and closes downstream', () => {
    const evens: number[] = [];
    const tripled: number[] = [];
    pushAll(
      [1, 2, 3, 4],
      broadcast([
        grepless((n) => n % 2 === 0, collect(evens)),
        mapCoroutine((n: number) => n * 3, collect(tripled)),
      ]),
    );
    expect(evens).toEqual([2, 4]);
    expect(tripled).toEqual([3, 6, 9, 12]);
    const words: string[] = [];
    const g = grep('py', collect(words));
    g.next('python');
    g.next('ruby');
    g.return(undefined);
    expect(words).toEqual(['python']);
  });

  it('primes with coroutine(), and throwInto reports whether the error was caught', () => {
    const seen: string[] = [];
    const catcher = coroutine(function* (): Generator<string, void, string> {
      for (;;) {
        try {
          seen.push(yield 'ready');
        } catch (error) {
          seen.push(`caught ${(error as Error).message}`);
        }
      }
    });
    const c = catcher();
    c.next('a');
    expect(throwInto(c, new Error('x'))).toEqual({ caught: true, value: 'ready' });
    expect(seen).toEqual(['a', 'caught x']);
  });
});

// A filter built from the library's grep-free primitive, for numbers.
function grepless(predicate: (n: number) => boolean, target: ReturnType<typeof collect<number>>) {
  return mapCoroutine((n: number) => n, filterTo(predicate, target));
}
function filterTo(predicate: (n: number) => boolean, target: ReturnType<typeof collect<number>>) {
  return coroutine(function* (): Generator<unknown, void, number> {
    try {
      for (;;) {
        const n = yield;
        if (predicate(n)) target.next(n);
      }
    } finally {
      target.return(undefined);
    }
  })();
}

describe('the scheduler', () => {
  const boot = async (...bodies: TaskBody[]) => {
    const log: string[] = [];
    const scheduler = new Scheduler({ onExit: (exit) => log.push(`exit ${exit.tid} ${exit.outcome}`) });
    for (const body of bodies) scheduler.spawn(body);
    return { exits: await scheduler.run(), log };
  };

  it('kills a sleeping task at once, running its finally, and wakes its waiter', async () => {
    const log: string[] = [];
    function* sleeper(): TaskBody<void> {
      try {
        yield* sleep(60_000);
      } finally {
        log.push('sleeper cleaned up');
      }
    }
    function* main(): TaskBody<void> {
      const child = yield* newTask(sleeper());
      const watcher = yield* newTask(
        (function* (): TaskBody<void> {
          const exit = yield* waitTask(child);
          log.push(`watcher saw ${exit?.outcome}`);
        })(),
      );
      yield;
      log.push(`kill: ${String(yield* killTask(child))}`);
      log.push(`kill again: ${String(yield* killTask(child))}`);
      yield* waitTask(watcher);
    }
    const started = performance.now();
    const { log: exits } = await boot(main());
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(log).toEqual(['sleeper cleaned up', 'kill: true', 'watcher saw killed', 'kill again: false']);
    expect(exits).toEqual(['exit 2 killed', 'exit 3 returned', 'exit 1 returned']);
  });

  it('reports a deadlock instead of hanging', async () => {
    function* a(): TaskBody<void> {
      const me = yield* getTid();
      yield* waitTask(me + 1);
    }
    function* b(): TaskBody<void> {
      const me = yield* getTid();
      yield* waitTask(me - 1);
    }
    await expect(boot(a(), b())).rejects.toThrow(/deadlock/);
  });

  it('wakes sleepers in deadline order and lets busy tasks share the loop with timers', async () => {
    const order: string[] = [];
    let spins = 0;
    let stop = false;
    function* busy(): TaskBody<void> {
      while (!stop) {
        spins++;
        yield;
      }
    }
    function* napper(name: string, ms: number): TaskBody<void> {
      yield* sleep(ms);
      order.push(name);
      if (name === 'c') stop = true;
    }
    await boot(busy(), napper('c', 30), napper('a', 10), napper('b', 20));
    expect(order).toEqual(['a', 'b', 'c']);
    expect(spins).toBeGreaterThan(10);
  });
});

describe('concur coroutine', () => {
  const run = (stages: string[], input: string) =>
    concur(['coroutine', ...stages.flatMap((stage) => ['--stage', stage])], {
      input,
      stripFinalNewline: false,
    });

  it('runs built-in and module stages in order, one output line per emitted line', async () => {
    const result = await run(['upper', fixture('co-double.js')], 'a\n\nb\n');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('A\nA\nB\nB\nseen 3\n');
  });

  it('accepts generator coroutine stages, sync and async, with finally as flush', async () => {
    const input = 'python a\nb\npython c\n';
    expect((await run([fixture('co-grep-gen.js')], input)).stdout).toBe('python a\npython c\nkept 2\n');
    expect((await run([fixture('co-head2-gen.js')], input)).stdout).toBe('python a\nb\n');
    expect((await run([fixture('co-async-gen.js'), 'upper'], 'abc\nxy\n')).stdout).toBe('CBA\nYX\n');
  });

  it('keeps order when stages answer with promises', async () => {
    const input = Array.from({ length: 200 }, (_, i) => `line ${'x'.repeat(i % 7)} ${i}`).join('\n') + '\n';
    const result = await run([fixture('co-async-upper.js'), 'identity'], input);
    expect(result.stdout).toBe(input.toUpperCase());
  });

  it('follows the final-newline rule, and passes empty lines, non-ASCII and long lines intact', async () => {
    expect((await run(['identity'], 'a\nlast')).stdout).toBe('a\nlast');
    expect((await run(['identity'], 'a\nlast\n')).stdout).toBe('a\nlast\n');
    // Dropped: the output ends as the line before it did. Flushed: newline-separated, none after the last.
    expect((await run([fixture('co-drop-b.js')], 'a\nb')).stdout).toBe('a\n');
    expect((await run([fixture('co-double.js')], 'a\nb')).stdout).toBe('a\na\nb\nb\nseen 2');
    expect((await run(['count'], 'a\nb')).stdout).toBe('2');
    expect((await run(['count'], '')).stdout).toBe('0\n');
    expect((await run(['identity'], '')).stdout).toBe('');
    const long = 'é'.repeat(3_000_000);
    const input = `\n${long}\nñandú ✓ 漢字\n\n`;
    const result = await run(['identity', 'identity', 'identity'], input);
    expect(result.stdout === input).toBe(true);
  });

  it('loads each stage as its own instance, as separate processes would', async () => {
    const result = await run([fixture('co-double.js'), fixture('co-double.js')], 'x\n');
    // Each instance counts only its own lines: the second saw x, x and the first one's "seen 1".
    expect(result.stdout).toBe('x\nx\nx\nx\nseen 1\nseen 1\nseen 3\n');
  });

  it('names the stage and its line number when a stage fails, keeps earlier output, exits 1', async () => {
    // Stage 1 doubles every line, so "boom" is line 2 of the input but line 3 of what stage 2 receives.
    const result = await run([fixture('co-double.js'), fixture('co-fail-on-boom.js')], 'ok\nboom\nnever\n');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('ok\nok\n');
    expect(String(result.stderr).trim()).toBe(
      `concur: stage 2 (${fixture('co-fail-on-boom.js')}) failed on line 3 ("boom"): cannot handle boom`,
    );
  });

  it('reports failures in flush() and bad answers, exit 1', async () => {
    const flush = await run([fixture('co-fail-flush.js')], 'a\n');
    expect(flush.exitCode).toBe(1);
    expect(flush.stdout).toBe('a\n');
    expect(String(flush.stderr)).toMatch(
      /stage 1 \(.*co-fail-flush\.js\) failed in flush\(\): nothing to flush/,
    );
    const bad = await run(['identity', fixture('co-bad-result.js')], 'abc\n');
    expect(bad.exitCode).toBe(1);
    expect(String(bad.stderr)).toMatch(
      /stage 2 .* failed on line 1 \("abc"\): a stage must return .* got number/,
    );
  });

  it('rejects bad modules with one line and exit 2, before reading input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'concur-co-'));
    const broken = join(dir, 'broken.js');
    writeFileSync(broken, 'export default function (line) { return line +; }\n');
    for (const [stage, message] of [
      ['./no-such-stage.js', /module not found: \.\/no-such-stage\.js/],
      [fixture('co-no-default.js'), /has no default export function/],
      [broken, /cannot load .*broken\.js: /],
    ] as const) {
      const result = await run(['identity', stage], 'a\n');
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toBe('');
      expect(String(result.stderr).trim().split('\n')).toHaveLength(1);
      expect(String(result.stderr)).toMatch(message);
    }
    const none = await concur(['coroutine'], { input: '' });
    expect(none.exitCode).toBe(2);
  });

  it('ends quietly with exit 0 when the reader goes away (| head -1)', async () => {
    const shell = await execa(
      'sh',
      ['-c', `seq 1 2000000 | node ${concurBin} coroutine --stage identity | head -1`],
      {
        reject: false,
        shell: false,
      },
    );
    expect(shell.stdout.split('\n')[0]).toBe('1');
    expect(shell.stderr).toBe('');
    const piped = execa('node', [concurBin, 'coroutine', '--stage', 'identity'], {
      reject: false,
      stdin: 'pipe',
      stdout: 'pipe',
    });
    piped.stdin?.write('first\n');
    piped.stdout?.destroy();
    piped.stdin?.end('second\n'.repeat(100_000));
    const result = await piped;
    expect(result.exitCode).toBe(0);
    expect(descendants(piped.pid ?? 0)).toEqual([]);
  });
});

describe('concur coroutine and concur pipeline', () => {
  const stageSets = [
    ['identity', 'identity', 'identity'],
    ['words', 'lower', 'tally'],
    ['upper', 'nonempty', 'count'],
    [fixture('co-double.js'), 'upper', fixture('co-grep-gen.js')],
    [fixture('co-async-upper.js'), 'words', 'count'],
  ];
  // Flush stages one after another, and last lines that are dropped, doubled or turned into an empty line.
  const endSets = [
    [fixture('co-double.js'), fixture('stage-sum.js'), fixture('co-double.js')],
    [fixture('co-drop-b.js'), fixture('stage-sum.js')],
    [fixture('co-blank-after-b.js'), 'identity', 'count'],
    [fixture('co-blank-after-b.js'), fixture('co-double.js')],
  ];
  const endInputs = ['a\nb', 'b', 'a\nb\n'];
  const inputs = [
    'the python\nand the Python\n\n  \nünïcode python ✓\n',
    'the python\nb\nlast python, no newline ✓',
    Array.from({ length: 1000 }, (_, i) => `line ${i} python ${i % 3 === 0 ? '' : 'x'.repeat(i % 50)}`).join(
      '\n',
    ) + '\n',
    '',
    '\n\n\n',
  ];
  const args = (stages: string[]) => stages.flatMap((stage) => ['--stage', stage]);

  // One test per case, each with its own bound: together they take minutes on a busy machine.
  const cases = [
    ...stageSets.flatMap((stages) => inputs.map((input) => [stages, input] as const)),
    ...endSets.flatMap((stages) => endInputs.map((input) => [stages, input] as const)),
  ];
  for (const [index, [stages, input]] of cases.entries()) {
    const name = `${stages.map((stage) => stage.split('/').at(-1)).join(' → ')} on ${JSON.stringify(input.slice(0, 20))}`;
    it(`give byte-identical output for the same stages and input (${index + 1}: ${name})`, async () => {
      const [co, pipe] = await Promise.all([
        concur(['coroutine', ...args(stages)], { input, stripFinalNewline: false, timeout: 25_000 }),
        concur(['pipeline', ...args(stages)], { input, stripFinalNewline: false, timeout: 25_000 }),
      ]);
      expect(pipe.exitCode).toBe(0);
      expect(co.exitCode).toBe(0);
      expect(co.stdout, name).toBe(pipe.stdout);
    });
  }

  it('decode the same way: invalid UTF-8 becomes U+FFFD in both, a byte-order mark stays', async () => {
    const input = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('bom\nx\n'),
      Buffer.from([0xff, 0xfe, 0x0a, 0xe3, 0x81, 0x0a, 0x61, 0xe3]), // bad bytes, a cut character, no newline
    ]);
    const expected = Buffer.from('\ufeffbom\nx\n\ufffd\ufffd\n\ufffd\na\ufffd');
    for (const stages of [['identity'], ['identity', 'identity', 'nonempty']]) {
      const [co, pipe] = await Promise.all([
        concurBytes(['coroutine', ...args(stages)], { input }),
        concurBytes(['pipeline', ...args(stages)], { input }),
      ]);
      expect(Buffer.from(pipe.stdout).toString('hex')).toBe(expected.toString('hex'));
      expect(Buffer.from(co.stdout).toString('hex')).toBe(expected.toString('hex'));
    }
  });

  it('give the same --json records', async () => {
    const stages = args([fixture('co-double.js'), 'upper']);
    const input = 'a\nb';
    const [co, pipe] = await Promise.all([
      concur(['coroutine', '--json', ...stages], { input }),
      concur(['pipeline', '--json', ...stages], { input }),
    ]);
    const records = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string });
    const [coRecords, pipeRecords] = [records(String(co.stdout)), records(String(pipe.stdout))];
    expect(coRecords.filter((r) => r.type === 'line')).toEqual(pipeRecords.filter((r) => r.type === 'line'));
    expect(coRecords.filter((r) => r.type === 'line')).toHaveLength(5);
    const summary = coRecords.at(-1) as {
      type: string;
      ok: boolean;
      stages: { linesIn: number; linesOut: number }[];
    };
    expect(summary.type).toBe('summary');
    expect(summary.ok).toBe(true);
    expect(summary.stages.map((s) => [s.linesIn, s.linesOut])).toEqual([
      [2, 5],
      [5, 5],
    ]);
  });

  it('fail with the same exit code and the same stage and line', async () => {
    const stages = args([fixture('co-double.js'), fixture('co-fail-on-boom.js')]);
    const input = 'ok\nboom\nnever\n';
    const [co, pipe] = await Promise.all([
      concur(['coroutine', ...stages], { input }),
      concur(['pipeline', ...stages], { input }),
    ]);
    expect([co.exitCode, pipe.exitCode]).toEqual([1, 1]);
    expect(co.stdout).toBe(pipe.stdout);
    expect(String(co.stderr)).toMatch(/stage 2 \(.*\) failed on line 3 \("boom"\): cannot handle boom$/);
    expect(String(co.stderr)).toBe(String(pipe.stderr));
  });
});
