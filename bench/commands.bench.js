// `concur fan-out -- <command>` benchmarks (issue 15), one run each, on the same input:
//   1. `seq 5000 | concur fan-out -j 2 -- true` against `parallel -j 2 true` and `xargs -P 2 -n 1 true`.
//      Floor: at least 3× GNU parallel's jobs per second (the bench exits 1 if missed). Aim: within 1.3× of
//      xargs's time (reported).
//   2. Where concur's CPU per job goes, measured in this process through runCommands: concur's main thread
//      against its children (the launchers and the jobs), and the same with Node's own spawn per job, the
//      fork of a Node process that the launchers avoid.
// Times are wall clock; CPU is user + system of the command and its children (bash's `times`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runCommands } from '../dist/index.js';
import { concurBin, table, verdict } from './lib.js';

const N = Number(process.env.JOBS_N ?? 5000);
const dir = mkdtempSync(join(tmpdir(), 'concur-bench-commands-'));
const input = join(dir, 'items.txt');
writeFileSync(input, Array.from({ length: N }, (_, i) => `${i + 1}\n`).join(''));

// Run a command line with the items on stdin; wall seconds and CPU seconds (self + children).
function timed(name, commandLine) {
  const script = `${commandLine} < ${input} > ${join(dir, `${name}.out`)}; status=$?; times; exit $status`;
  const started = performance.now();
  const result = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${name} failed: exit ${result.status}: ${result.stderr}`);
  // `times` prints two lines, "0m0.010s 0m0.020s" for the shell and then for its children.
  const children = result.stdout.trim().split('\n').at(-1) ?? '';
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (sum, m) => sum + Number(m[1]) * 60 + Number(m[2]),
    0,
  );
  return { seconds, cpu, rate: N / seconds };
}

const q = (s) => `'${s.replaceAll("'", `'\\''`)}'`;
const concur = timed('concur', `node ${q(concurBin)} fan-out -j 2 -- true`);
const xargs = timed('xargs', 'xargs -P 2 -n 1 true');
const hasParallel = existsSync('/usr/bin/parallel') || spawnSync('which', ['parallel']).status === 0;
const parallel = hasParallel ? timed('parallel', 'parallel -j 2 true') : undefined;
const concurOut = readFileSync(join(dir, 'concur.out'), 'utf8');

const fmt = (n, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits });
const rows = [];
const row = (name, run) => [
  name,
  `${fmt(run.rate)} jobs/s`,
  `${run.seconds.toFixed(2)} s`,
  `${((run.cpu * 1000) / N).toFixed(2)} ms`,
];
rows.push([
  ...row(`concur fan-out -j 2 -- true (${fmt(N)} items)`, concur),
  '',
  '',
  concurOut === '' ? 'ok' : 'OUTPUT?',
]);
rows.push([...row('xargs -P 2 -n 1 true', xargs), '', '', '']);
if (parallel) rows.push([...row('parallel -j 2 true', parallel), '', '', '']);
else rows.push(['parallel -j 2 true', 'skipped: GNU parallel not installed', '', '', '', '', '']);

const floorRatio = parallel ? concur.rate / parallel.rate : undefined;
const floorOk = floorRatio === undefined || floorRatio >= 3;
if (floorRatio !== undefined)
  rows.push([
    'concur / parallel, jobs/s',
    `${floorRatio.toFixed(2)}×`,
    '',
    '',
    '≥ 3×',
    (floorRatio / 3).toFixed(2),
    verdict(floorOk),
  ]);
const xargsRatio = concur.seconds / xargs.seconds;
rows.push([
  'concur time / xargs time',
  `${xargsRatio.toFixed(2)}×`,
  '',
  '',
  'aim ≤ 1.3×',
  (1.3 / xargsRatio).toFixed(2),
  xargsRatio <= 1.3 ? 'pass' : 'missed (aim, not floor)',
]);
rows.push([
  "concur's own overhead per job (wall)",
  `${(((concur.seconds - xargs.seconds) * 1000) / N).toFixed(2)} ms`,
  '',
  `${(((concur.cpu - xargs.cpu) * 1000) / N).toFixed(2)} ms CPU`,
  'vs xargs',
  '',
  '',
]);

// 2. The breakdown, in this process. concur's main thread (process.cpuUsage) against its children: the launchers
// and the jobs they fork (utime + stime of reaped children, /proc/self/stat). Then the same run with Node's own
// spawn per job (the `spawn` seam), which shows why the launchers are there: fork() of a Node process.
const childrenCpuMs = () => {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // cutime + cstime, in clock ticks of 10 ms
};
const items = Array.from({ length: N }, (_, i) => String(i + 1));
async function inProcess(options) {
  const cpuBefore = process.cpuUsage();
  const childrenBefore = childrenCpuMs();
  const started = performance.now();
  let failed = 0;
  for await (const job of runCommands(items, ['true'], { jobs: 2, ...options })) if (!job.ok) failed++;
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    wallMs,
    mainMs: (cpu.user + cpu.system) / 1000,
    childrenMs: childrenCpuMs() - childrenBefore,
    failed,
  };
}
let spawnCpuMs = 0;
const timedSpawn = (...args) => {
  const cpu = process.cpuUsage();
  const child = spawn(...args);
  const used = process.cpuUsage(cpu);
  spawnCpuMs += (used.user + used.system) / 1000;
  return child;
};
const launched = await inProcess({});
const spawned = await inProcess({ spawn: timedSpawn });
const per = (ms) => `${(ms / N).toFixed(3)} ms`;
for (const [name, run] of [
  ['in-process runCommands, -j 2, launchers', launched],
  ["in-process runCommands, -j 2, Node's spawn per job", spawned],
]) {
  rows.push([
    name,
    `${fmt((N / run.wallMs) * 1000)} jobs/s`,
    `${(run.wallMs / 1000).toFixed(2)} s`,
    per(run.mainMs + run.childrenMs),
    '',
    '',
    run.failed === 0 ? 'ok' : `${run.failed} FAILED`,
  ]);
  rows.push(["  concur's main thread", '', '', per(run.mainMs), '', '', '']);
  rows.push(['  children: launchers (fork, wait) and the jobs', '', '', per(run.childrenMs), '', '', '']);
}
rows.push(["  of which Node's spawn() itself (fork of concur)", '', '', per(spawnCpuMs), '', '', '']);
rows.push(['xargs, for scale: xargs and the jobs', '', '', per(xargs.cpu * 1000), '', '', '']);

table(['figure', 'rate', 'wall', 'CPU per job', 'target', 'ratio', 'verdict'], rows);
console.log(
  `\n(one run each, on a machine that may be shared: load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`,
);
rmSync(dir, { recursive: true, force: true });
if (!floorOk) {
  console.log(`FAIL: concur ran ${floorRatio.toFixed(2)}× GNU parallel's jobs per second; the floor is 3×.`);
  process.exitCode = 1;
}
