// `npm run bench coroutine`: (1) an in-process 3-stage push pipeline of coroutines (concur's map → filter →
// sink) against the same pipeline as Python generators driven by send(); (2) `concur coroutine` against
// `concur pipeline` on the same three stages and the same input. Prints markdown tables.
import { spawnSync, execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, writeFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concurBin, median, table, verdict } from './lib.js';
import { filter, map, sink } from '../dist/patterns/coroutine/coroutine.js';

const ITEMS = 10_000_000;
const RUNS = 5;

// (1a) JavaScript: source pushes 0..n-1 into map(x * 3) → filter(even) → sink(sum).
function jsRun(n) {
  let sum = 0;
  let count = 0;
  const head = map(
    (x) => x * 3,
    filter(
      (x) => (x & 1) === 0,
      sink((x) => {
        sum += x;
        count++;
      }),
    ),
  );
  const started = performance.now();
  for (let i = 0; i < n; i++) head.next(i);
  head.return(undefined);
  const seconds = (performance.now() - started) / 1000;
  if (count !== n / 2) throw new Error(`wrong count ${count}`);
  return { rate: n / seconds, sum };
}

// (1b) Python: the same three coroutines with the @coroutine priming decorator and send().
const python = `
import time, sys
def coroutine(f):
    def start(*a):
        g = f(*a); next(g); return g
    return start
@coroutine
def cmap(fn, target):
    while True:
        target.send(fn((yield)))
@coroutine
def cfilter(pred, target):
    while True:
        x = (yield)
        if pred(x): target.send(x)
@coroutine
def csink(box):
    while True:
        box[0] += (yield); box[1] += 1
n = int(sys.argv[1]); rates = []
for run in range(int(sys.argv[2])):
    box = [0, 0]
    head = cmap(lambda x: x * 3, cfilter(lambda x: x & 1 == 0, csink(box)))
    send = head.send
    t = time.perf_counter()
    for i in range(n): send(i)
    rates.append(n / (time.perf_counter() - t))
    assert box[1] == n // 2
rates.sort(); print(rates[len(rates) // 2], box[0])
`;

jsRun(1_000_000); // warm up
const jsRates = [];
let jsSum = 0;
for (let run = 0; run < RUNS; run++) {
  const { rate, sum } = jsRun(ITEMS);
  jsRates.push(rate);
  jsSum = sum;
}
const js = median(jsRates);
const pyItems = 2_000_000;
const [pyRateText, pySum] = execFileSync('python3', ['-c', python, String(pyItems), '3'], {
  encoding: 'utf8',
})
  .trim()
  .split(' ');
const py = Number(pyRateText);
const expectedPySum = 3 * 2 * (((pyItems / 2 - 1) * (pyItems / 2)) / 2); // sum of 3x over even x < n
if (Number(pySum) !== expectedPySum) throw new Error(`python sum ${pySum} != ${expectedPySum}`);
const fmt = (rate) => `${(rate / 1e6).toFixed(1)} M items/s`;
console.log(
  `In-process push pipeline, map → filter → sink (median of ${RUNS} × ${ITEMS / 1e6}M items; Python 3 × ${pyItems / 1e6}M):\n`,
);
table(
  ['pipeline', 'throughput', 'target', 'result'],
  [
    ['concur coroutines (JS generators, next(value))', fmt(js), '≥ 20 M items/s', verdict(js >= 20e6)],
    ['Python generators, send()', fmt(py), '', ''],
    ['ratio JS / Python', `${(js / py).toFixed(1)}×`, '', ''],
  ],
);
void jsSum;

// (2) The same stages over stdin: in one process (coroutine) against one process per stage (pipeline).
const dir = mkdtempSync(join(tmpdir(), 'concur-bench-co-'));
const input = join(dir, 'input.txt');
const lines = [];
for (let i = 0; i < 1_000_000; i++) lines.push(`line ${i}: the quick brown fox jumps over the lazy dog ü`);
const text = `${lines.join('\n')}\n`;
writeFileSync(input, text.repeat(2));
const bytes = Buffer.byteLength(text) * 2;
const lineCount = 2_000_000;

const hasPipeline =
  spawnSync(process.execPath, [concurBin, 'pipeline', '--help'], { stdio: 'ignore' }).status === 0;
const stageSets = [
  ['identity', 'identity', 'identity'],
  ['upper', 'identity', 'upper'],
];
const timeCommand = (command, stages) => {
  const times = [];
  for (let run = 0; run < 3; run++) {
    const fd = openSync(input, 'r');
    const started = performance.now();
    const result = spawnSync(
      process.execPath,
      [concurBin, command, ...stages.flatMap((stage) => ['--stage', stage])],
      { stdio: [fd, 'ignore', 'inherit'] },
    );
    times.push((performance.now() - started) / 1000);
    closeSync(fd);
    if (result.status !== 0) throw new Error(`concur ${command} exited ${result.status}`);
  }
  return median(times);
};
const rows = [];
for (const stages of stageSets) {
  const co = timeCommand('coroutine', stages);
  const cell = (seconds) =>
    `${(bytes / 1e6 / seconds).toFixed(0)} MB/s, ${(lineCount / 1e6 / seconds).toFixed(2)} M lines/s`;
  if (hasPipeline) {
    const pipe = timeCommand('pipeline', stages);
    rows.push([stages.join(' → '), cell(co), cell(pipe), `${(pipe / co).toFixed(2)}×`]);
  } else rows.push([stages.join(' → '), cell(co), 'not on this branch', '']);
}
console.log(
  `\n\`concur coroutine\` against \`concur pipeline\`, ${(bytes / 1e6).toFixed(0)} MB, ${lineCount / 1e6}M lines (median of 3, wall time including start-up):\n`,
);
table(['stages', 'coroutine (one process)', 'pipeline (process per stage)', 'coroutine speed-up'], rows);
rmSync(dir, { recursive: true, force: true });
