import { stripVTControlCharacters } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { spinners } from 'ora';
import { describe, expect, it } from 'vitest';
import { terminalPolicy } from '../../../src/terminal/policy.js';
import { commandEnv } from '../../../src/patterns/spinner/command.js';
import { DOTS_FRAMES } from '../../../src/patterns/spinner/render.js';
import {
  concur,
  concurBin,
  concurCommand,
  descendants,
  fixture,
  hasEscapes,
  inTerminal,
  isAlive,
  waitFor,
  waitForLine,
} from '../../helpers.js';

// Primes below 200,000: 17,984 (a quick run); below 30,000,000 keeps the parent busy for several seconds.
const QUICK = ['spinner', '--size', '200000'];
const LONG = ['spinner', '--size', '60000000'];

describe('terminal policy', () => {
  const tty = { isTTY: true, columns: 80 };
  it('animates only on a terminal with columns, outside CI and TERM=dumb', () => {
    expect(terminalPolicy(tty, {}).animate).toBe(true);
    expect(terminalPolicy({ isTTY: false, columns: 80 }, {}).animate).toBe(false);
    expect(terminalPolicy({ isTTY: true, columns: 0 }, {}).animate).toBe(false);
    expect(terminalPolicy(tty, { CI: 'true' }).animate).toBe(false);
    expect(terminalPolicy(tty, { CI: 'false' }).animate).toBe(true);
    expect(terminalPolicy(tty, { TERM: 'dumb' }).animate).toBe(false);
  });
  it('honours NO_COLOR over FORCE_COLOR, and FORCE_COLOR off a terminal', () => {
    expect(terminalPolicy(tty, {}).color).toBe(true);
    expect(terminalPolicy(tty, { NO_COLOR: '1' }).color).toBe(false);
    expect(terminalPolicy({ isTTY: false }, { FORCE_COLOR: '1' }).color).toBe(true);
    expect(terminalPolicy(tty, { FORCE_COLOR: '0' }).color).toBe(false);
    expect(terminalPolicy({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' }).color).toBe(false);
  });
});

describe('concur spinner, piped (not a terminal)', () => {
  it('prints the result on stdout and plain start/final lines on stderr, no escape codes', async () => {
    const result = await concur(QUICK);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('17984');
    expect(hasEscapes(result.stderr)).toBe(false);
    expect(result.stderr).toMatch(/^Counting primes…\n✔ Computation done in \d+\.\d s$/);
  });

  it('--json prints one object with result and elapsedMs', async () => {
    const started = performance.now();
    const result = await concur([...QUICK, '--json']);
    const wallMs = performance.now() - started;
    const parsed = JSON.parse(result.stdout) as { result: number; elapsedMs: number; mode: string };
    expect(parsed.result).toBe(17984);
    // The computation alone: some time, but less than the whole run with its start-up and the child.
    expect(parsed.elapsedMs).toBeGreaterThan(0);
    expect(parsed.elapsedMs).toBeLessThan(wallMs);
    expect(parsed.mode).toBe('child');
  });

  it('--no-spinner writes nothing on stderr', async () => {
    const result = await concur([...QUICK, '--no-spinner']);
    expect(result.stdout).toBe('17984');
    expect(result.stderr).toBe('');
  });

  it('--in-process reports frames drawn against frames due', async () => {
    const result = await concur(['spinner', '--size', '3000000', '--in-process']);
    expect(result.exitCode).toBe(0);
    const match = result.stderr.match(/(\d+) of (\d+) frames due/);
    expect(match).not.toBeNull();
    // The timer could not fire while the parent computed: far fewer frames than due.
    expect(Number(match?.[1])).toBeLessThan(Number(match?.[2]));
  });

  it('--classic prints the chapter prompt and "Computation done"', async () => {
    const result = await concur([...QUICK, '--classic']);
    expect(result.stderr).toBe('Please wait ...\n✔ Computation done');
    expect(hasEscapes(result.stderr)).toBe(false);
  });

  it('FORCE_COLOR colours the final line even off a terminal; NO_COLOR wins', async () => {
    const forced = await concur(QUICK, { env: { FORCE_COLOR: '1' } });
    expect(forced.stderr).toContain('\u001b[32m✔');
    const both = await concur(QUICK, { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(hasEscapes(both.stderr)).toBe(false);
  });

  it('carries on when the spinner child dies: the result still arrives', async () => {
    const run = concur(['spinner', '--size', '10000000']);
    let childPid = 0;
    await waitFor(() => (childPid = descendants(run.pid ?? 0)[0] ?? 0) > 0, 5000, 'the spinner child');
    process.kill(childPid, 'SIGKILL');
    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(Number(result.stdout)).toBeGreaterThan(0);
  }, 60_000);

  it('SIGKILL of concur: the spinner child notices and exits within a second', async () => {
    const run = concur(LONG);
    let childPid = 0;
    await waitFor(() => (childPid = descendants(run.pid ?? 0)[0] ?? 0) > 0, 5000, 'the spinner child');
    await waitForLine(run.stderr!, /Counting primes/);
    run.kill('SIGKILL');
    await run;
    await waitFor(() => !isAlive(childPid), 1500, `spinner child ${childPid} to exit`);
  });

  it('ends quietly when stdout is closed early (| head -1), leaving no process behind', async () => {
    const result = await execa(
      'sh',
      ['-c', `${concurCommand(['demo', 'spinner', '--size', '300000'])} | head -1; echo "status=$?"`],
      {
        reject: false,
        env: { CI: 'true' },
      },
    );
    expect(result.stdout.split('\n')[0]).toMatch(/^primes below 300000: 25997$/);
    expect(result.stderr).not.toMatch(/Error|EPIPE|at .*\.js/);
  });
});

describe('concur spinner -- command', () => {
  it('passes stdout through byte for byte and returns the exit code', async () => {
    const expected = await execa('node', [fixture('bytes.js')], { encoding: 'buffer' });
    const result = await execa('node', [concurBin, 'spinner', '--', 'node', fixture('bytes.js')], {
      encoding: 'buffer',
    });
    expect(result.exitCode).toBe(0);
    expect(Buffer.compare(Buffer.from(result.stdout), Buffer.from(expected.stdout))).toBe(0);
  });

  it("exits with the command's exit code, and 128+n when signal n kills it", async () => {
    expect((await concur(['spinner', '--', 'node', '-e', 'process.exit(7)'])).exitCode).toBe(7);
    const killed = await concur(['spinner', '--', 'node', '-e', "process.kill(process.pid, 'SIGTERM')"]);
    expect(killed.exitCode).toBe(143);
    expect(killed.stderr).toContain('killed by SIGTERM');
  });

  it('passes SIGTERM on to the command', async () => {
    const run = concur(['spinner', '--', 'node', fixture('signal-reporter.js')]);
    await waitForLine(run.stdout!, /ready/);
    run.kill('SIGTERM');
    const result = await run;
    expect(result.stdout).toContain('got SIGTERM');
    expect(result.exitCode).toBe(0);
  });

  it('SIGKILL of concur: the guardian child kills the command too', async () => {
    for (const flags of [[], ['--no-spinner']]) {
      const run = concur(['spinner', ...flags, '--', 'node', fixture('signal-reporter.js')]);
      await waitForLine(run.stdout!, /ready/);
      const pids = descendants(run.pid ?? 0);
      expect(pids.length).toBeGreaterThanOrEqual(2);
      run.kill('SIGKILL');
      await run;
      for (const pid of pids) await waitFor(() => !isAlive(pid), 2000, `process ${pid} to exit`);
    }
  });

  it('a missing command is one clear line and exit 127', async () => {
    const result = await concur(['spinner', '--', 'no-such-command-xyz']);
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toContain('concur: command not found: no-such-command-xyz');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('bad input', () => {
  it.each([
    [['spinner', '--size', '-3']],
    [['spinner', '--size', 'abc']],
    [['spinner', '--size', '0']],
    [['spinner', '--bogus']],
    [['spinner', '--']],
    [['spinner', '--size', '5000', '--', 'true']],
    [['spinner', '--in-process', '--', 'true']],
    [['spinner', '--json', '--', 'true']],
    [['bogus']],
    [['demo', 'nope']],
    [['fan-out', '--retries', '-1']],
    [['demo', 'distributed', '--broker', 'notaurl']],
  ])('concur %j: one line on stderr, exit 2', async (args) => {
    const result = await concur(args);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^concur: /);
  });

  it('--help and --version work', async () => {
    const help = await concur(['spinner', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Examples:');
    const version = await concur(['--version']);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('concur demo', () => {
  it('lists one name<TAB>summary line per pattern', async () => {
    const result = await concur(['demo']);
    const lines = result.stdout.split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) expect(line).toMatch(/^[a-z-]+\t\S.*$/);
    expect(lines.map((line) => line.split('\t')[0])).toContain('spinner');
  });

  it('demo spinner narrates the child pid, its messages and its frames', async () => {
    const result = await concur(['demo', 'spinner', '--size', '2000000']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/spinner child is pid \d+/);
    // A fast machine finishes between two progress reports: one update, or several.
    expect(result.stderr).toMatch(/messages it received: start, update( ×\d+)?, succeed/);
    expect(result.stderr).toMatch(/ticked .* (\d+) frames/);
    expect(result.stdout.split('\n')).toEqual([
      'primes below 2000000: 148933',
      'primes below 1000000: 78498',
    ]);
  });

  it('demo spinner --json is an NDJSON event stream', async () => {
    const result = await concur(['demo', 'spinner', '--size', '500000', '--json']);
    const events = result.stdout.split('\n').map((line) => JSON.parse(line) as { kind: string; pid: number });
    expect(events.map((event) => event.kind)).toContain('spawn');
    expect(events.filter((event) => event.kind === 'result')).toHaveLength(2);
  });
});

describe('the library', () => {
  it('withSpinner runs a blocking task under a forked spinner', async () => {
    const result = await execa('node', [fixture('with-spinner.js')], { env: { CI: 'true' } });
    const parsed = JSON.parse(result.stdout) as { value: number; frames: number };
    expect(parsed.value).toBe(25997);
    expect(parsed.frames).toBeGreaterThanOrEqual(1);
    expect(result.stderr).toContain('✔ found 25997');
  });
});

describe('in a real terminal', () => {
  it('keeps drawing frames while the parent is busy, then leaves the cursor visible', async () => {
    const run = await inTerminal(concurCommand(['spinner', '--size', '12000000', '--json']));
    const screen = run.stdout;
    const json = JSON.parse(screen.slice(screen.indexOf('{'), screen.lastIndexOf('}') + 1)) as {
      elapsedMs: number;
      frames: number;
    };
    // ora draws a frame every 80 ms; allow for the child's start-up and a loaded machine.
    const due = json.elapsedMs / 80;
    expect(json.frames).toBeGreaterThan(due * 0.5);
    // Progress sent from inside the blocking loop reached the child and was drawn.
    expect(screen).toMatch(/Counting primes… [1-9]\d?%/);
    expect(screen.lastIndexOf('\u001b[?25h')).toBeGreaterThan(screen.lastIndexOf('\u001b[?25l'));
    expect(stripVTControlCharacters(screen)).toContain('✔ Computation done in');
  });

  it('NO_COLOR: frames but no colour; CI and TERM=dumb: no escape codes at all', async () => {
    const noColor = await inTerminal(concurCommand(QUICK), { NO_COLOR: '1' });
    expect(noColor.stdout).not.toMatch(/\u001b\[3\dm/);
    for (const env of [{ CI: 'true' }, { TERM: 'dumb' }]) {
      const plain = await inTerminal(concurCommand(QUICK), env);
      expect(hasEscapes(plain.stdout)).toBe(false);
      expect(plain.stdout).toContain('17984');
    }
  });

  it("prints a wrapped command's lines above the spinner, intact", async () => {
    const run = await inTerminal(concurCommand(['spinner', '--', 'node', fixture('stderr-lines.js')]));
    // Treat "cursor to column 1" and carriage returns as line starts: each line must survive whole.
    const text = stripVTControlCharacters(run.stdout.replaceAll('\u001b[1G', '\n').replace(/\r/g, '\n'));
    for (let i = 0; i < 5; i++) {
      expect(text).toMatch(new RegExp(`^stderr line ${i}$`, 'm'));
      expect(text).toMatch(new RegExp(`^stdout line ${i}$`, 'm'));
    }
  });

  it('Ctrl-C while the parent is busy: exit 130, both processes gone, cursor restored', async () => {
    // The shell catches SIGINT (a trap, not an ignore, so concur still gets the default action) to report $?.
    const line = `trap 'true' INT; ${concurCommand(LONG)}; echo "EXIT=$?"`;
    const run = inTerminal(line);
    await waitForLine(run.stdout!, /Counting primes… \d+%/);
    const pids = descendants(run.pid ?? 0).filter((pid) => pid !== run.pid);
    run.stdin!.write('\u0003');
    const result = await run;
    expect(result.stdout).toContain('EXIT=130');
    const afterHide = result.stdout.slice(result.stdout.lastIndexOf('\u001b[?25l'));
    expect(afterHide).toContain('\u001b[?25h');
    for (const pid of pids) await waitFor(() => !isAlive(pid), 1500, `process ${pid} to exit`);
  });
});

// Every process this test file starts carries a tag in its environment, made of this worktree's path and a
// random part, so that processes of other checkouts running the same tests are never counted or killed.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const TAG = 'CONCUR_SPINNER_TEST';
const newTag = (): string => `${root}:${randomUUID()}`;

/** Live processes, other than Node itself (concur and its children), whose environment carries `tag`. */
function tagged(tag: string): { pid: number; name: string }[] {
  const found: { pid: number; name: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`\0${TAG}=${tag}\0`)) continue;
      const name = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (name !== 'node' && isAlive(Number(entry))) found.push({ pid: Number(entry), name });
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return found;
}

describe('a wrapped command dies with concur, children and all', () => {
  const SLEEPER = ['sh', '-c', 'sleep 30; echo done'];
  // A survivor would hold concur's stdout and stderr open, so the run's promise is awaited only after the check.
  const killTagged = (tag: string): void => {
    for (const { pid } of tagged(tag)) process.kill(pid, 'SIGKILL');
  };

  it.each([
    ['SIGKILL', []],
    ['SIGKILL', ['--no-spinner']],
    ['SIGTERM', []],
    ['SIGTERM', ['--no-spinner']],
  ] as const)(
    "%s of concur %j leaves no 'sleep 30' behind",
    async (signal, flags) => {
      const tag = newTag();
      const run = concur(['spinner', ...flags, '--', ...SLEEPER], { env: { [TAG]: tag }, timeout: 20_000 });
      try {
        await waitFor(() => tagged(tag).some(({ name }) => name === 'sleep'), 10_000, 'sleep 30 to start');
        run.kill(signal);
        await waitFor(() => !isAlive(run.pid ?? 0), 5000, 'concur to exit');
        await waitFor(() => tagged(tag).length === 0, 5000, `the command's processes to go (${tag})`);
        const result = await run;
        if (signal === 'SIGTERM') expect(result.exitCode).toBe(143);
      } finally {
        killTagged(tag);
      }
    },
    40_000,
  );

  it('killed the moment the command exists, concur leaves nothing behind (10 tries)', async () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const tag = newTag();
      const run = concur(['spinner', '--', 'sleep', '30'], { env: { [TAG]: tag }, timeout: 20_000 });
      try {
        // Poll every millisecond or so, and kill concur as soon as the command's process appears.
        const deadline = Date.now() + 10_000;
        while (tagged(tag).length === 0 && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 1));
        run.kill('SIGKILL');
        await waitFor(() => !isAlive(run.pid ?? 0), 5000, 'concur to exit');
        await waitFor(() => tagged(tag).length === 0, 5000, `attempt ${attempt}: the command to go`);
        await run;
      } finally {
        killTagged(tag);
      }
    }
  }, 200_000);

  it('what the command leaves running in its group (cmd &) ends with it, on a terminal or not', async () => {
    const args = ['spinner', '--', 'sh', '-c', 'sleep 30 & echo started'];
    for (const where of ['piped', 'terminal']) {
      const tag = newTag();
      const run =
        where === 'piped'
          ? concur(args, { env: { [TAG]: tag }, timeout: 20_000 })
          : inTerminal(`${concurCommand(args)}; echo "EXIT=$?"`, { [TAG]: tag });
      try {
        await waitForLine(run.stdout!, /started/, 10_000);
        await waitFor(() => !isAlive(run.pid ?? 0) || tagged(tag).length === 0, 10_000, 'concur to finish');
        await waitFor(() => tagged(tag).length === 0, 5000, `${where}: the background sleep to go`);
        expect((await run).stdout).toMatch(where === 'piped' ? /^started$/ : /EXIT=0/);
      } finally {
        killTagged(tag);
      }
    }
  }, 70_000);

  it.each([[[]], [['--no-spinner']]] as const)(
    'Ctrl-C on a terminal %j: the command group gets SIGINT, exit 130, nothing left',
    async (flags) => {
      const tag = newTag();
      const line = `trap 'true' INT; ${concurCommand(['spinner', ...flags, '--', ...SLEEPER])}; echo "EXIT=$?"`;
      const run = inTerminal(line, { [TAG]: tag });
      await waitFor(() => tagged(tag).some(({ name }) => name === 'sleep'), 10_000, 'sleep 30 to start');
      run.stdin!.write('\u0003');
      const result = await run;
      expect(result.stdout).toContain('EXIT=130');
      await waitFor(() => tagged(tag).length === 0, 5000, "the command's processes to go");
    },
    70_000,
  );
});

describe('a wrapped command on a terminal feels at home', () => {
  it('a prompt without a newline shows before the answer is typed', async () => {
    const run = inTerminal(concurCommand(['spinner', '--', 'node', fixture('prompt.js')]));
    // The prompt must reach the screen while the command waits for input: no newline will ever come first.
    await waitForLine(run.stdout!, /Name\? /, 20_000);
    run.stdin!.write('Ada\r');
    const result = await run;
    expect(stripAnsi(result.stdout)).toContain('hello Ada');
    expect(result.stdout).toContain('✔');
  }, 70_000);

  it('keeps its colour (FORCE_COLOR from the terminal), none under NO_COLOR or off the terminal', async () => {
    const coloured = await inTerminal(concurCommand(['spinner', '--', 'node', fixture('colour.js')]));
    expect(coloured.stdout).toContain('\u001b[31mred\u001b[39m');
    const noColor = await inTerminal(concurCommand(['spinner', '--', 'node', fixture('colour.js')]), {
      NO_COLOR: '1',
    });
    expect(noColor.stdout).toContain('red level=0');
    expect(noColor.stdout).not.toMatch(/\u001b\[3\dm/);
    const piped = await concur(['spinner', '--', 'node', fixture('colour.js')]);
    expect(piped.stdout).toBe('red level=0');
  }, 70_000);

  it('commandEnv forces the terminal colour level only when both streams are on the terminal', () => {
    const on = { animate: true, color: true, columns: 80 };
    expect(commandEnv(true, on, {}, 8).FORCE_COLOR).toBe('2');
    expect(commandEnv(true, on, {}, 24).FORCE_COLOR).toBe('3');
    expect(commandEnv(true, on, { FORCE_COLOR: '0' }, 24).FORCE_COLOR).toBe('0');
    expect(commandEnv(false, on, {}, 24).FORCE_COLOR).toBeUndefined();
    expect(commandEnv(true, { ...on, color: false }, {}, 24).FORCE_COLOR).toBeUndefined();
  });

  it("draws ora's dots frames", () => {
    expect([...DOTS_FRAMES]).toEqual(spinners.dots.frames);
  });
});

function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

describe('the README', () => {
  it('lists every registered pattern in its demo table', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const listed = await concur(['demo']);
    for (const name of listed.stdout.split('\n').map((line) => line.split('\t')[0]))
      expect(readme).toMatch(new RegExp(`^\\| \`${name}\` +\\|`, 'm'));
  });
});
