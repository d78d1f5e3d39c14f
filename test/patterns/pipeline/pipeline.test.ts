import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
// The built library, as users import it: its stage child is the compiled dist/patterns/pipeline/stage.child.js.
import { runPipeline, StageError, UsageError } from '../../../dist/index.js';
import { concur, concurBin, concurBytes, concurCommand, fixture, isAlive, waitFor } from '../../helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'concur-pipeline-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the identity fixture at a unique path, so its stage processes can be found in /proc. */
function markedStage(tag: string): string {
  const path = join(scratch, `marked-${tag}-${process.pid}.js`);
  copyFileSync(fixture('stage-sum.js'), path);
  return path;
}

/** PIDs of live stage processes whose command line mentions `text` (concur's own command line is skipped). */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('stage.child.js') && cmdline.includes(text) && isAlive(Number(entry)))
        pids.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return pids;
}

/** Run the CLI, keeping stdout byte for byte (execa would strip a final newline). */
async function run(
  args: string[],
  options: { input?: string; maxBuffer?: number } = {},
): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  const result = await concur(args, { stripFinalNewline: false, ...options });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

const residentKb = (pid: number): number =>
  Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

describe('concur pipeline: semantics', () => {
  it('runs stages in order, each in its own process', async () => {
    const result = await run(
      ['pipeline', '--stage', 'upper', '--stage', fixture('stage-double.js'), '--json'],
      {
        input: 'a\nb\n',
      },
    );
    expect(result.exitCode).toBe(0);
    const records = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.filter((r) => r.type === 'line').map((r) => r.text)).toEqual(['A', 'A', 'B', 'B']);
    const summary = records.at(-1) as {
      ok: boolean;
      stages: { pid: number; linesIn: number; linesOut: number }[];
    };
    expect(summary.ok).toBe(true);
    expect(summary.stages.map((s) => [s.linesIn, s.linesOut])).toEqual([
      [2, 2],
      [2, 4],
    ]);
    const pids = new Set(summary.stages.map((s) => s.pid));
    expect(pids.size).toBe(2);
    expect(pids.has(0)).toBe(false);
  });

  it('drops lines for null and undefined, emits many for an array, flushes at the end', async () => {
    const input = Array.from({ length: 10 }, (_, i) => String(i)).join('\n') + '\n';
    const result = await run(
      [
        'pipeline',
        '-s',
        fixture('stage-drop-odd.js'),
        '-s',
        fixture('stage-sum.js'),
        '-s',
        fixture('stage-double.js'),
      ],
      { input },
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('0\n0\n2\n2\n4\n4\n6\n6\n8\n8\nsum=20\nsum=20\n');
  });

  it('awaits a stage that returns promises, keeping the order', async () => {
    const input = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const result = await run(['pipeline', '-s', fixture('stage-async-tag.js'), '-s', 'identity'], { input });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(Array.from({ length: 500 }, (_, i) => `async:line ${i}\n`).join(''));
  });

  it('keeps bytes faithful: empty lines, CRLF, non-ASCII, no final newline, and an empty input', async () => {
    const input = Buffer.from('é日本語\n\n\r\nlast line without newline ✓', 'utf8');
    const result = await concurBytes(['pipeline', '-s', 'identity', '-s', 'identity'], { input });
    expect(Buffer.compare(Buffer.from(result.stdout), input)).toBe(0);
    const upper = await run(['pipeline', '-s', 'upper'], { input: 'abc' });
    expect(upper.stdout).toBe('ABC');
    const empty = await run(['pipeline', '-s', 'upper', '-s', 'count'], { input: '' });
    expect(empty.exitCode).toBe(0);
    expect(empty.stdout).toBe('0\n');
  });

  it('passes a 10 MB line and characters split across chunk boundaries', async () => {
    // 3-byte characters, so nearly every 64 KiB pipe chunk ends in the middle of one.
    const long = '日本'.repeat(1_750_000);
    const input = `${long}\nshort\n${'ü'.repeat(100_001)}\n`;
    const result = await run(['pipeline', '-s', 'identity', '-s', 'upper'], { input, maxBuffer: 64e6 });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`${long}\nSHORT\n${'Ü'.repeat(100_001)}\n`);
  });

  it('counts with the built-in words, lower and tally stages', async () => {
    const result = await run(['pipeline', '-s', 'words', '-s', 'lower', '-s', 'tally'], {
      input: 'The cat\nthe dog\n\nA cat\n',
    });
    expect(result.stdout).toBe('2\tthe\n2\tcat\n1\tdog\n1\ta\n');
  });
});

describe('concur pipeline: failures', () => {
  it('a stage that throws names itself and the line, keeps earlier output, exits 1', async () => {
    const result = await run(
      ['pipeline', '-s', 'identity', '-s', fixture('stage-fail-on-bad.js'), '-s', fixture('stage-sum.js')],
      { input: 'a\nb\nbad\nc\n' },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /stage 2 \(.*stage-fail-on-bad\.js\) failed on line 3 \("bad"\): cannot handle "bad"/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    // Lines before the failure came through; the stage after it did not flush a partial sum.
    expect(result.stdout).toBe('a\nb\n');
  });

  it('stops the stages upstream of a failure', async () => {
    const marked = markedStage('upstream');
    const child = spawn(
      'node',
      [concurBin, 'pipeline', '-s', marked, '-s', fixture('stage-fail-on-bad.js')],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    await waitFor(() => processesMentioning(marked).length === 1, 10_000, 'the upstream stage');
    const [upstream] = processesMentioning(marked);
    // The upstream stage still has its input open, so only concur can stop it.
    child.stdin.write('ok\nbad\n');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    await waitFor(() => !isAlive(upstream ?? 0), 5000, 'the upstream stage to be stopped');
    child.stdin.destroy();
  });

  it('a failure in flush() and a non-line return value are reported too', async () => {
    const flush = await run(['pipeline', '-s', fixture('stage-flush-throws.js')], { input: 'x\n' });
    expect(flush.exitCode).toBe(1);
    expect(flush.stderr).toMatch(/stage 1 \(.*\) failed in flush\(\): flush went wrong/);
    expect(flush.stdout).toBe('x\n');
    const bad = await run(['pipeline', '-s', fixture('stage-bad-return.js')], { input: 'a\nb\nc\n' });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/failed on line 2 \("b"\): a stage must return a string.*got number/);
  });

  it('a missing or broken module is a usage error (exit 2) before any input is read', async () => {
    const missing = await run(['pipeline', '-s', 'upper', '-s', './no-such-stage.js'], { input: 'a\n' });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^concur: module not found: \.\/no-such-stage\.js \(give a path/);
    expect(missing.stdout).toBe('');

    // stdin stays open and unread: if a stage had started reading, it would still be waiting for input.
    for (const [name, pattern] of [
      ['stage-syntax-error.js', /stage 2 \(.*stage-syntax-error\.js\): cannot load .*: Unexpected token/],
      ['stage-no-default.js', /has no default export function: add `export default function/],
    ] as const) {
      const child = spawn('node', [concurBin, 'pipeline', '-s', 'upper', '-s', fixture(name)], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(2);
      expect(stderr).toMatch(pattern);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      child.stdin.destroy();
    }

    const none = await run(['pipeline'], { input: '' });
    expect(none.exitCode).toBe(2);
  });
});

describe('concur pipeline: streaming and processes', () => {
  it('backpressure: a stalled reader stops the producers, and memory stays bounded', async () => {
    const child = spawn('node', [concurBin, 'pipeline', '-s', 'identity', '-s', 'upper', '-s', 'identity'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    child.stdout.pause();
    // Start writing once the three stages exist: on a busy machine, start-up alone can outlast the wait below.
    const ownStages = (): number[] =>
      processesMentioning('stage.child.js').filter((pid) => {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === child.pid;
      });
    await waitFor(() => ownStages().length === 3, 20_000, 'the three stages');
    const line = `${'x'.repeat(99)}\n`;
    const block = Buffer.from(line.repeat(10_000)); // 1 MB
    let written = 0;
    // Write until the pipeline refuses more for a while: nobody reads its output.
    for (;;) {
      if (child.stdin.write(block)) {
        written += block.length;
        continue;
      }
      written += block.length;
      const drained = await Promise.race([
        new Promise<boolean>((resolve) => child.stdin.once('drain', () => resolve(true))),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1500)),
      ]);
      if (!drained) break;
      expect(written).toBeLessThan(64e6);
    }
    // Only pipe buffers and a chunk or two per stage can be in flight: far less than a stream of any size.
    expect(written).toBeLessThan(16e6);
    const stages = ownStages();
    expect(stages).toHaveLength(3);
    for (const pid of stages) expect(residentKb(pid)).toBeLessThan(150_000);

    // Now read: everything written comes out, in full.
    let received = 0;
    child.stdout.on('data', (chunk: Buffer) => (received += chunk.length));
    child.stdout.resume();
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    expect(received).toBe(written);
  });

  it('| head -1 ends quietly with exit 0 and no stage left behind', async () => {
    const marked = markedStage('head');
    const shell = `yes line | ${concurCommand(['pipeline', '-s', 'upper', '-s', marked])} | head -1; echo "status=\${PIPESTATUS[1]}" >&2`;
    const run = spawn('bash', ['-c', shell], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    run.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    run.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((resolve) => run.once('close', resolve));
    expect(stdout).toBe('LINE\n');
    expect(stderr).toBe('status=0\n');
    await waitFor(() => processesMentioning(marked).length === 0, 5000, 'stages to exit');
  });

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
    it(`${signal} to concur leaves no stage behind`, async () => {
      const marked = markedStage(signal);
      const child = spawn('node', [concurBin, 'pipeline', '-s', marked, '-s', 'upper', '-s', marked], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      await waitFor(() => processesMentioning(marked).length === 2, 10_000, 'the stages to start');
      const stages = processesMentioning(marked);
      child.stdin.write('some input\n');
      child.kill(signal);
      const [code, killedBy] = await new Promise<[number | null, string | null]>((resolve) =>
        child.once('exit', (c, s) => resolve([c, s])),
      );
      const expected = { SIGINT: [130, null], SIGTERM: [143, null], SIGKILL: [null, 'SIGKILL'] }[signal];
      expect([code, killedBy]).toEqual(expected);
      for (const pid of stages) await waitFor(() => !isAlive(pid), 5000, `stage ${pid} to exit`);
      child.stdin.destroy();
    });
  }
});

describe('runPipeline (library)', () => {
  it('streams a Readable through stages into a Writable and reports per-stage statistics', async () => {
    const chunks: Buffer[] = [];
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    });
    const result = await runPipeline(['words', 'lower', 'count'], {
      input: Readable.from(['Black boxes\nthat share ', 'nothing\n']),
      output,
    });
    expect(Buffer.concat(chunks).toString()).toBe('5\n');
    expect(result.stages.map((s) => s.stats?.linesOut)).toEqual([5, 5, 1]);
    expect(result.stages.every((s) => (s.stats?.peakRssKb ?? 0) > 0)).toBe(true);
  });

  it('rejects with StageError and UsageError', async () => {
    const input = new PassThrough();
    input.end('fine\nbad\n');
    const error = await runPipeline([fixture('stage-fail-on-bad.js')], {
      input,
      output: new PassThrough(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StageError);
    expect((error as StageError).line).toBe(2);
    expect((error as StageError).exitCode).toBe(1);
    const usage = await runPipeline([fixture('stage-no-default.js')], {
      input: Readable.from([]),
      output: new PassThrough(),
    }).catch((e: unknown) => e);
    expect(usage).toBeInstanceOf(UsageError);
  });
});
