/**
 * A pipeline always ends, and ends honestly: no timing of input and stage speed leaves a stage waiting at end
 * of input, and a stage that ends before its input did fails the run.
 */
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cleanEnv, concur, concurBin, fixture, tempDirs } from '../../helpers.js';

const tempDir = tempDirs('pipeline-ends');
const end = (name: string): string => fixture(`pipeline-end/${name}`);
const misbehaving = (name: string): string => fixture(`modules/misbehaving/${name}`);

// The channel between two stages is a socket pair; what it holds depends on the socket buffer size. The sizes
// below put a stage's last writes just past what the channel holds (by less than Node's 16 KiB high-water
// mark) on this kind of machine: measured with wmem_default 212992, the hang showed from 268 to 288 KiB.
function bulkSizes(): number[] {
  let wmem = 212_992;
  try {
    wmem = Number(readFileSync('/proc/sys/net/core/wmem_default', 'utf8')) || wmem;
  } catch {
    // not Linux: keep the default
  }
  return [1.3, 1.34, 1.37].map((factor) => Math.round(wmem * factor));
}

describe('concur pipeline: a pipeline always ends', () => {
  // Each run ends within a second once fixed; the old code waited forever for a 'drain' (20 s bound each).
  it('ends when a stage finishes its input while the next stage is busy', { timeout: 90_000 }, async () => {
    for (const bulk of bulkSizes()) {
      const dir = tempDir();
      const env = cleanEnv({ CONCUR_TEST_DIR: dir, BULK_BYTES: String(bulk) });
      // producer | concur, with the timeout on concur itself: if it hangs, its SIGTERM stops its stages too.
      const producer = execa('node', [end('producer.js')], { env, reject: false });
      const result = await producer.pipe(
        'node',
        [concurBin, 'pipeline', '--stage', end('flag-at-end.js'), '--stage', end('block.js')],
        { reject: false, timeout: 20_000, encoding: 'buffer', stripFinalNewline: false, env },
      );
      expect(result.timedOut, `hung with ${bulk} bytes`).toBe(false);
      expect(result.exitCode, String(result.stderr)).toBe(0);
      const line = `${'x'.repeat(99)}\n`;
      const expected = `BLOCK\n${line.repeat(Math.ceil(bulk / line.length))}the last line, 20 B.`;
      expect(result.stdout.length).toBe(expected.length);
      expect(Buffer.from(result.stdout).toString() === expected).toBe(true);
    }
  });
});

describe('concur pipeline: a stage that exits early fails the run', () => {
  for (const code of [0, 3]) {
    it(`process.exit(${code}) mid-input: one line naming the stage and line, exit 1, earlier output kept`, async () => {
      const result = await concur(['pipeline', '--stage', 'identity', '--stage', misbehaving('exits.js')], {
        input: 'a\nb\nstop\nc\n',
        env: { EXIT_CODE: String(code) },
        timeout: 20_000,
      });
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toBe('a\nb');
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^concur: stage 2 \(.*exits\.js\) failed on line 3 \("stop"\): .*process\.exit\(/,
      );
    });
  }

  it('--json: the summary says ok false with the stage and line, and the exit code is 1', async () => {
    const result = await concur(
      ['pipeline', '--stage', misbehaving('exits.js'), '--stage', 'identity', '--json'],
      { input: 'a\nstop\nc\n', env: { EXIT_CODE: '0' }, timeout: 20_000 },
    );
    expect(result.exitCode).toBe(1);
    const records = result.stdout.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.filter((r) => r.type === 'line').map((r) => r.text)).toEqual(['a']);
    const summary = records.at(-1) as { ok: boolean; error: { stage: number; line: number } };
    expect(summary.ok).toBe(false);
    expect(summary.error).toMatchObject({ stage: 1, line: 2 });
  });
});
