// What recording costs (issue 7): fan-out of tiny items (identity worker, `-j 2`) untraced, with --trace, with
// --events, and with all three sinks (--trace --events --timeline). Target: --trace keeps ≥ 80 % of the untraced
// throughput. Rounds interleave the variants, each round in a rotated order, so drift on a shared machine touches
// each alike; medians are shown.
// Each traced run's files are checked: the trace parses and the events file has one JSON object per line.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { concurBin, median, table, verdict } from './lib.js';

const LINES = Number(process.env.LINES ?? 3_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'concur-bench-trace-'));
const input = join(dir, 'lines.txt');
const traceFile = join(dir, 'run.json');
const eventsFile = join(dir, 'run.ndjson');

const out = createWriteStream(input);
for (let i = 0; i < LINES; i += 100_000) {
  let text = '';
  for (let j = i; j < Math.min(LINES, i + 100_000); j++) text += `item ${j}\n`;
  if (!out.write(text)) await new Promise((resolve) => out.once('drain', resolve));
}
await new Promise((resolve) => out.end(resolve));
const expectedBytes = statSync(input).size;

// One run: seconds, after checking the output is whole.
function run(extra) {
  const outPath = join(dir, 'out.txt');
  const args = [concurBin, ...extra, 'fan-out', '-j', '2', '--worker', 'identity'];
  const started = performance.now();
  const result = spawnSync('bash', ['-c', `node "$@" < ${input} > ${outPath}`, 'node', ...args], {
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`fan-out ${extra.join(' ')} failed: exit ${result.status}`);
  if (statSync(outPath).size !== expectedBytes)
    throw new Error(`fan-out ${extra.join(' ')}: output incomplete`);
  return seconds;
}

const variants = {
  untraced: [],
  '--trace': ['--trace', traceFile],
  '--events': ['--events', eventsFile],
  'all three': ['--trace', traceFile, '--events', eventsFile, '--timeline'],
};
const times = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
let traceEvents = 0;
let events = 0;
run([]); // warm-up: page cache, module compile cache
const names = Object.keys(variants);
for (let round = 0; round < ROUNDS; round++)
  // Each round starts with a different variant, so none always follows the same neighbour.
  for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)]) {
    const extra = variants[name];
    times[name].push(run(extra));
    if (name === '--trace') traceEvents = JSON.parse(readFileSync(traceFile, 'utf8')).traceEvents.length;
    if (name === '--events')
      events = readFileSync(eventsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)).length;
  }
rmSync(dir, { recursive: true, force: true });

const rate = (name) => LINES / median(times[name]);
const base = rate('untraced');
console.log(
  `fan-out -j 2 --worker identity over ${LINES.toLocaleString('en')} lines, ${ROUNDS} rounds each, medians ` +
    `(a --trace run wrote ${traceEvents} trace events; an --events run ${events} events)\n`,
);
table(
  ['variant', 'lines/s', 'of untraced', 'target', 'verdict'],
  Object.keys(variants).map((name) => {
    const ratio = rate(name) / base;
    const target = name === '--trace' ? '≥ 80 %' : '';
    return [
      name,
      Math.round(rate(name)).toLocaleString('en'),
      `${(ratio * 100).toFixed(1)} %`,
      target,
      target ? verdict(ratio >= 0.8) : '',
    ];
  }),
);
