/**
 * The bytes path of a stage (stage-bytes.ts): a module that exports `chunk` gets batches of lines as bytes,
 * with the same output, line rules and statistics as line by line; its failures are named by line; the line
 * counter is exact.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countNewlines } from '../../../dist/patterns/pipeline/stage-bytes.js';
import { concur, concurBytes, fixture, tempDirs } from '../../helpers.js';

const tempDir = tempDirs('pipeline-bytes');

// Several read chunks of text: tabs, 2- to 4-byte characters (some split across reads), empty lines, long
// lines crossing chunk boundaries, an invalid byte, and a last line without newline.
function sample(): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < 40_000; i++) {
    if (i % 97 === 0) parts.push(Buffer.from('\n'));
    else if (i % 1000 === 500) parts.push(Buffer.from(`${'long\t'.repeat(40_000)}\n`));
    else parts.push(Buffer.from(`${i}\tnaïve\tcafé 日本 𝄞 ${'x'.repeat(i % 50)}\n`));
  }
  parts.splice(20_000, 0, Buffer.from([0x61, 0x09, 0xff, 0x62, 0x0a]));
  parts.push(Buffer.from('last\tline'));
  return Buffer.concat(parts);
}

describe('a module with chunk(): lines as bytes', () => {
  it('gives the bytes line by line would, with the same counts', { timeout: 60_000 }, async () => {
    const input = join(tempDir(), 'in.txt');
    const text = sample();
    writeFileSync(input, text);
    const stage = fixture('stage-chunk-tabs.js');
    const [asBytes, byLine] = await Promise.all([
      concurBytes(['pipeline', '--stage', stage], { inputFile: input, maxBuffer: 1e9 }),
      concurBytes(['coroutine', '--stage', stage], { inputFile: input, maxBuffer: 1e9 }),
    ]);
    expect(asBytes.exitCode).toBe(0);
    expect(byLine.exitCode).toBe(0);
    // The pipeline stage used chunk(); the coroutine, which ignores it, the default export.
    expect(Buffer.from(asBytes.stderr).toString()).toBe('chunk\n');
    expect(Buffer.from(byLine.stderr).toString()).toBe('');
    expect(Buffer.compare(Buffer.from(asBytes.stdout), Buffer.from(byLine.stdout))).toBe(0);
    // The invalid byte became U+FFFD all the same; the last line kept its lack of newline.
    expect(Buffer.from(asBytes.stdout).includes(Buffer.from('a \uFFFDb\n'))).toBe(true);
    expect(Buffer.from(asBytes.stdout).subarray(-10).toString()).toBe('\nlast line');

    const json = await concur(['pipeline', '--stage', stage, '--json'], { inputFile: input, maxBuffer: 1e9 });
    const summary = JSON.parse(json.stdout.trimEnd().split('\n').at(-1) ?? '{}') as {
      stages: { linesIn: number; linesOut: number; bytesIn: number; bytesOut: number }[];
    };
    const lines = countNewlines(text) + 1;
    expect(summary.stages[0]).toMatchObject({ linesIn: lines, linesOut: lines, bytesIn: text.length });
  });

  it('identity passes valid UTF-8 on byte for byte, and invalid UTF-8 as U+FFFD', async () => {
    const valid = Buffer.from('a\n\nnaïve 日本 𝄞\r\nlast');
    const same = await concurBytes(['pipeline', '-s', 'identity', '-s', 'upper', '-s', 'identity'], {
      input: valid,
    });
    expect(Buffer.from(same.stdout).toString()).toBe('A\n\nNAÏVE 日本 𝄞\r\nLAST');
    const invalid = await concurBytes(['pipeline', '-s', 'identity'], {
      input: Buffer.from([0x61, 0xc3, 0x0a, 0xff, 0xfe, 0x0a]),
    });
    expect(Buffer.from(invalid.stdout).toString('hex')).toBe('61efbfbd0aefbfbdefbfbd0a');
  });

  it("a throw in chunk() is the stage's failure on the batch's first line", async () => {
    const result = await concur(['pipeline', '-s', 'identity', '-s', fixture('stage-chunk-fails.js')], {
      input: 'a\nb\nbad\nc\n',
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /stage 2 \(.*stage-chunk-fails\.js\) failed on line 1 \("a"\): cannot handle "bad"/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('an answer that is not whole lines is a failure', async () => {
    const result = await concur(['pipeline', '-s', fixture('stage-chunk-partial.js')], { input: 'a\nb\n' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/failed on line 1 \("a"\): chunk\(\) must return whole lines/);
  });
});

describe('countNewlines', () => {
  it('counts every \\n at any alignment and length, as a byte loop does', () => {
    let seed = 1;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const backing = Buffer.alloc(5000);
    for (let round = 0; round < 3000; round++) {
      const offset = Math.floor(next() * 8);
      const bytes = backing.subarray(offset, offset + Math.floor(next() * 4000));
      const density = next();
      let expected = 0;
      for (let i = 0; i < bytes.length; i++) {
        bytes[i] = next() < density ? 10 : Math.floor(next() * 256);
        if (bytes[i] === 10) expected++;
      }
      expect(countNewlines(bytes)).toBe(expected);
    }
  });
});
