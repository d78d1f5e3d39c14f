// Pipeline bench: integrity of 1,000,000 lines through three identity stages (checksums), throughput against
// `cat | cat | cat` on the same input in the same run, and each stage's peak memory on 5 MB against 500 MB.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { concurBin, median, table, verdict } from './lib.js';

const { runPipeline } = await import('../dist/index.js');
const dir = mkdtempSync(join(tmpdir(), 'concur-pipeline-bench-'));
const RUNS = 3;

// Deterministic text: mostly ASCII log-like lines, every 10th non-ASCII, every 13th empty.
function line(i) {
  if (i % 13 === 0) return '';
  if (i % 10 === 0) return `${i} naïve café Grüße 日本語のテキスト ✓ ${'é'.repeat(i % 40)}`;
  return `${i} GET /api/items/${(i * 7919) % 100000} status=${200 + (i % 5)} ms=${i % 997} ${'x'.repeat(i % 61)}`;
}

function writeLines(path, { lines = Infinity, bytes = Infinity, longLineAt = -1, finalNewline = true }) {
  const fd = openSync(path, 'w');
  let total = 0;
  let batch = [];
  let i = 0;
  for (; i < lines && total < bytes; i++) {
    batch.push(i === longLineAt ? 'L'.repeat(10 * 1024 * 1024) : line(i));
    if (batch.length === 10_000) {
      const text = `${batch.join('\n')}\n`;
      total += Buffer.byteLength(text);
      writeSync(fd, text);
      batch = [];
    }
  }
  const rest = batch.join('\n') + (finalNewline && batch.length ? '\n' : '');
  writeSync(fd, rest);
  closeSync(fd);
  return i;
}

function sha256(path) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

// Run a shell command line, timed; throws when it fails.
function timed(command) {
  const started = performance.now();
  const result = spawnSync('bash', ['-c', command], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`failed (${result.status}): ${command}`);
  return (performance.now() - started) / 1000;
}

const concur = (stages, from, to) =>
  `node ${concurBin} pipeline ${stages.map((s) => `--stage ${s}`).join(' ')} < ${from} > ${to}`;

try {
  // 1. Integrity: 1,000,000 lines, non-ASCII, empty lines, a 10 MB line, no final newline.
  const integrityIn = join(dir, 'integrity.txt');
  const integrityOut = join(dir, 'integrity.out');
  const count = writeLines(integrityIn, { lines: 1_000_000, longLineAt: 500_000, finalNewline: false });
  timed(concur(['identity', 'identity', 'identity'], integrityIn, integrityOut));
  const [before, after] = [await sha256(integrityIn), await sha256(integrityOut)];
  const size = statSync(integrityIn).size;
  console.log(
    `Integrity: ${count.toLocaleString('en')} lines, ${(size / 1e6).toFixed(1)} MB (non-ASCII, empty lines, a 10 MB line, no final newline)\n`,
  );
  table(
    ['check', 'input sha256', 'output sha256', 'result'],
    [['3 identity stages', before.slice(0, 16), after.slice(0, 16), verdict(before === after)]],
  );

  // 2. Throughput against cat | cat | cat, alternating runs on the same file.
  const bigIn = join(dir, 'big.txt');
  writeLines(bigIn, { bytes: 256e6 });
  const bigSize = statSync(bigIn).size;
  const cat = [];
  const identity = [];
  const upper = [];
  for (let run = 0; run < RUNS; run++) {
    cat.push(timed(`cat ${bigIn} | cat | cat > /dev/null`));
    identity.push(timed(concur(['identity', 'identity', 'identity'], bigIn, '/dev/null')));
    upper.push(timed(concur(['identity', 'upper', 'identity'], bigIn, '/dev/null')));
  }
  const mbs = (seconds) => bigSize / 1e6 / seconds;
  const catRate = mbs(median(cat));
  const idRate = mbs(median(identity));
  const upRate = mbs(median(upper));
  console.log(
    `\nThroughput: ${(bigSize / 1e6).toFixed(0)} MB, median of ${RUNS} runs each (wall time, start-up included)\n`,
  );
  table(
    ['pipeline', 'MB/s', 'vs cat', 'target', 'result'],
    [
      ['cat \\| cat \\| cat', catRate.toFixed(0), '1.00', '', ''],
      [
        'concur: identity ×3',
        idRate.toFixed(0),
        (idRate / catRate).toFixed(2),
        '≥ 150 MB/s',
        verdict(idRate >= 150),
      ],
      ['concur: identity, upper, identity', upRate.toFixed(0), (upRate / catRate).toFixed(2), '(info)', ''],
    ],
  );

  // 3. Peak memory of each stage (VmHWM, reported by the stage) on 5 MB and on 500 MB.
  const small = join(dir, 'small.txt');
  const large = join(dir, 'large.txt');
  writeLines(small, { bytes: 5e6 });
  writeLines(large, { bytes: 500e6 });
  const peaks = async (path) => {
    const input = openSync(path, 'r');
    const output = openSync('/dev/null', 'w');
    try {
      const result = await runPipeline(['identity', 'identity', 'identity'], { input, output });
      return result.stages.map((stage) => stage.stats.peakRssKb);
    } finally {
      closeSync(input);
      closeSync(output);
    }
  };
  const [at5, at500] = [await peaks(small), await peaks(large)];
  console.log(`\nPeak memory per stage (VmHWM), 5 MB vs 500 MB input\n`);
  table(
    ['stage', '5 MB', '500 MB', 'ratio', 'target', 'result'],
    at5.map((kb, i) => {
      const ratio = (at500[i] ?? 0) / kb;
      return [
        String(i + 1),
        `${(kb / 1024).toFixed(1)} MiB`,
        `${((at500[i] ?? 0) / 1024).toFixed(1)} MiB`,
        ratio.toFixed(2),
        '≤ 1.20',
        verdict(ratio <= 1.2),
      ];
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
