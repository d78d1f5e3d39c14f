// Pipeline bench: integrity of 1,000,000 lines through three identity stages (checksums); throughput on word
// lines, on unicode-heavy text and on mixed log lines, each against `cat | cat | cat`, three Node processes
// that only pass bytes on (bench/pass-through.js: the floor under any Node stage) and three that only split
// lines (bench/split-lines.js: the machine's own limit for a Node stage that makes a string per line), all in
// the same run, with the CPU time they took; and each stage's peak memory on 5 MB against 500 MB.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { concurBin, median, table, verdict } from './lib.js';

const { runPipeline } = await import('../dist/index.js');
const dir = mkdtempSync(join(tmpdir(), 'concur-pipeline-bench-'));
const RUNS = 3;

const splitLines = fileURLToPath(new URL('./split-lines.js', import.meta.url));
const passThrough = fileURLToPath(new URL('./pass-through.js', import.meta.url));
const identityLines = fileURLToPath(new URL('./identity-lines.js', import.meta.url));

// Mixed text: mostly ASCII log-like lines, every 10th non-ASCII, every 13th empty.
function mixed(i) {
  if (i % 13 === 0) return '';
  if (i % 10 === 0) return `${i} naïve café Grüße 日本語のテキスト ✓ ${'é'.repeat(i % 40)}`;
  return `${i} GET /api/items/${(i * 7919) % 100000} status=${200 + (i % 5)} ms=${i % 997} ${'x'.repeat(i % 61)}`;
}

// A fixed pseudo-random sequence (xorshift32), so every run writes the same text.
function randoms(seed) {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

// Word lines: one short ASCII word per line, like /usr/share/dict/words (some capitalised, some with 's),
// from a list of 50,000 words repeated. About 8.7 bytes a line.
function wordLines() {
  const next = randoms(2463534242);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const words = [];
  for (let i = 0; i < 50_000; i++) {
    let word = '';
    for (let n = 3 + (next() % 10); n > 0; n--) word += letters[next() % 26];
    if (i % 7 === 0) word = word[0].toUpperCase() + word.slice(1);
    if (i % 11 === 0) word += "'s";
    words.push(word);
  }
  return (i) => words[i % words.length];
}

// Unicode-heavy lines: 5 to 64 characters, 92 % of them non-ASCII (Greek, Cyrillic, Japanese, accented Latin:
// two and three bytes each), the rest spaces. About 75 bytes a line, under 5 % of them ASCII.
function unicodeLines() {
  const next = randoms(88172645);
  const alphabet = [
    ...'αβγδεζηθικλμνξοπρστυφχψωабвгдеёжзийклмнопрстуфхцчшщъыьэюя日本語のテキスト漢字仮名交じり文中文字符éèêëàâäôöüß',
  ];
  return () => {
    let text = '';
    for (let n = 5 + (next() % 60); n > 0; n--)
      text += next() % 100 < 8 ? ' ' : alphabet[next() % alphabet.length];
    return text;
  };
}

function writeLines(
  path,
  { lines = Infinity, bytes = Infinity, longLineAt = -1, finalNewline = true, line = mixed },
) {
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

// Run a shell command line; its wall time and the CPU time (user + sys) of every process it ran, in seconds.
// Throws when it fails.
function timed(command) {
  const started = performance.now();
  const result = spawnSync('bash', ['-c', `${command}\ntimes`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const wall = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`failed (${result.status}): ${command}`);
  // `times` prints the shell's own times, then its children's: "0m1.234s 0m0.567s".
  const children = String(result.stdout).trim().split('\n').at(-1) ?? '';
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (sum, [, m, s]) => sum + Number(m) * 60 + Number(s),
    0,
  );
  return { wall, cpu };
}

const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`;

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

  // 2. Throughput, per kind of text: alternating runs on the same file, against cat and the split-only stage.
  const kinds = [
    { name: 'word lines', line: wordLines(), target: 300 },
    { name: 'unicode-heavy text', line: unicodeLines(), target: 150 },
    { name: 'mixed log lines (every 10th non-ASCII)', line: mixed, target: 0 },
  ];
  const identity = ['identity', 'identity', 'identity'];
  for (const kind of kinds) {
    const bigIn = join(dir, 'big.txt');
    writeLines(bigIn, { bytes: 256e6, line: kind.line });
    const bigSize = statSync(bigIn).size;
    const pipelines = [
      ['cat \\| cat \\| cat', `cat ${bigIn} | cat | cat > /dev/null`],
      [
        'pass-through ×3 (Node, no lines)',
        `node ${passThrough} < ${bigIn} | node ${passThrough} | node ${passThrough} > /dev/null`,
      ],
      [
        'split-only ×3 (the limit)',
        `node ${splitLines} < ${bigIn} | node ${splitLines} | node ${splitLines} > /dev/null`,
      ],
      ['concur: identity ×3', concur(identity, bigIn, '/dev/null')],
      [
        'concur: identity ×3, line by line',
        concur([identityLines, identityLines, identityLines], bigIn, '/dev/null'),
      ],
      ['concur: identity, upper, identity', concur(['identity', 'upper', 'identity'], bigIn, '/dev/null')],
    ];
    const runs = pipelines.map(() => []);
    const loads = [load()];
    for (let run = 0; run < RUNS; run++) pipelines.forEach(([, command], i) => runs[i].push(timed(command)));
    loads.push(load());
    const rate = (i) => bigSize / 1e6 / median(runs[i].map((r) => r.wall));
    const cpu = (i) => median(runs[i].map((r) => r.cpu)) / (bigSize / 1e8);
    console.log(
      `\nThroughput, ${kind.name}: ${(bigSize / 1e6).toFixed(0)} MB, median of ${RUNS} runs each (wall time, start-up included; CPU: every process of the pipeline); ${loads.join(' → ')}\n`,
    );
    table(
      ['pipeline', 'MB/s', 'CPU s per 100 MB', 'vs cat', 'vs split-only', 'target', 'result'],
      pipelines.map(([name], i) => {
        const targeted = name === 'concur: identity ×3' && kind.target > 0;
        return [
          name,
          rate(i).toFixed(0),
          cpu(i).toFixed(2),
          (rate(i) / rate(0)).toFixed(2),
          (rate(i) / rate(2)).toFixed(2),
          targeted ? `≥ ${kind.target} MB/s` : '(info)',
          targeted ? verdict(rate(i) >= kind.target) : '',
        ];
      }),
    );
  }

  // 3. Peak memory of each stage (VmHWM, reported by the stage) on 5 MB and on 500 MB.
  const small = join(dir, 'small.txt');
  const large = join(dir, 'large.txt');
  writeLines(small, { bytes: 5e6 });
  writeLines(large, { bytes: 500e6 });
  const peaks = async (stages, path) => {
    const input = openSync(path, 'r');
    const output = openSync('/dev/null', 'w');
    try {
      const result = await runPipeline(stages, { input, output });
      return result.stages.map((stage) => stage.stats.peakRssKb);
    } finally {
      closeSync(input);
      closeSync(output);
    }
  };
  const rows = [];
  for (const [form, stages] of [
    ['identity', identity],
    ['line by line', [identityLines, identityLines, identityLines]],
  ]) {
    const [at5, at500] = [await peaks(stages, small), await peaks(stages, large)];
    at5.forEach((kb, i) => {
      const ratio = (at500[i] ?? 0) / kb;
      rows.push([
        `${i + 1} (${form})`,
        `${(kb / 1024).toFixed(1)} MiB`,
        `${((at500[i] ?? 0) / 1024).toFixed(1)} MiB`,
        ratio.toFixed(2),
        '≤ 1.20',
        verdict(ratio <= 1.2),
      ]);
    });
  }
  console.log(`\nPeak memory per stage (VmHWM), 5 MB vs 500 MB of mixed text; ${load()}\n`);
  table(['stage', '5 MB', '500 MB', 'ratio', 'target', 'result'], rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
