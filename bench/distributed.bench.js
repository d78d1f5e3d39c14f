// Distributed fan-out through loopback Redis against local fan-out, on the same input in the same run:
// two `concur worker` hosts (one worker process each) vs `concur fan-out -j 2`, and beside them the machine's
// reference: a minimal BullMQ client and two minimal workers (bench/distributed-minimal.js) moving the same lines
// in jobs of 65,536 through the same Redis, with no pool, no checks and no recovery. Lines/s end to end, with
// each command's start-up included. CPU seconds (user+sys) of the coordinator and of the hosts with their pools
// are printed beside the figures, with the load average: on a shared machine the wall clock says more about the
// neighbours than about concur. Goal for tiny items: at least 1,000,000 lines/s through Redis; the script exits 1
// when a goal is missed. Then: a host SIGKILLed mid-run, and the time until every batch it held has finished on
// the other host, against its lock time.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadavg, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { concurBin, median, table, verdict } from './lib.js';
import { Redis } from 'ioredis';
import { hasRedisServer, startLocalRedis } from '../dist/patterns/distributed/local-redis.js';

if (!hasRedisServer()) {
  console.log('skipped: redis-server is not installed (apt-get install redis-server)');
  process.exit(0);
}

const RUNS = 3;
const dir = mkdtempSync(join(tmpdir(), 'concur-bench-'));
const tinyFile = join(dir, 'tiny.txt');
const cpuFile = join(dir, 'cpu.txt');
const TINY = 1_000_000;
writeFileSync(tinyFile, Array.from({ length: TINY }, (_, i) => `line ${i}`).join('\n') + '\n');
const CPU = 300;
writeFileSync(cpuFile, Array.from({ length: CPU }, (_, i) => String(400_000 + i * 1000)).join('\n') + '\n');

const minimal = fileURLToPath(new URL('./distributed-minimal.js', import.meta.url));
const TIME = '/usr/bin/time';
const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

// Run `node args` with stdin from a file; resolve with wall ms, output lines, and CPU seconds (user+sys, when
// /usr/bin/time is there to measure it).
function timed(args, file) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const cpuFile = join(dir, 'cpu');
    const [command, argv] = existsSync(TIME)
      ? [TIME, ['-f', '%U %S', '-o', cpuFile, process.execPath, ...args]]
      : [process.execPath, args];
    const child = spawn(command, argv, { stdio: [openSync(file, 'r'), 'pipe', 'inherit'] });
    let lines = 0;
    child.stdout.on('data', (chunk) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      let cpu;
      if (command === TIME) {
        const [user, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
        cpu = user + sys;
      }
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}`));
      else resolve({ ms, lines, cpu });
    });
  });
}

// CPU seconds (user+sys) a process and its children have used so far, from /proc (0 where there is none).
function cpuSeconds(pid) {
  const stat = (of) => readFileSync(`/proc/${of}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = (fields) => (Number(fields[11]) + Number(fields[12])) / 100;
  try {
    let total = ticks(stat(pid));
    for (const entry of readdirSync('/proc'))
      if (/^\d+$/.test(entry))
        try {
          const fields = stat(entry);
          if (fields[1] === String(pid)) total += ticks(fields);
        } catch {
          // gone meanwhile
        }
    return total;
  } catch {
    return 0;
  }
}
const hostsCpu = (hosts) => hosts.reduce((sum, host) => sum + cpuSeconds(host.pid), 0);

const concurRun = (args, file) => timed([concurBin, ...args], file);

function startHost(broker, name, worker, extra = []) {
  return startReady(
    [concurBin, 'worker', '--name', name, '-j', '1', '--worker', worker, ...extra],
    broker,
    name,
  );
}

// Start a process and resolve once it says it is ready on stderr.
function startReady(args, broker, name) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, CONCUR_BROKER: broker },
    });
    let seen = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      seen += text;
      if (/\bready\b/.test(seen)) resolve(child);
    });
    child.on('exit', () => reject(new Error(`${name} exited: ${seen}`)));
  });
}

const stopHost = (child) =>
  new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });

// Kill host A once it holds batches; resolve with the ms from the kill until none of them is left in Redis
// (a job's hash is removed when another host completes it).
async function killRecovery(broker, lockMs) {
  const worker = 'count-primes';
  const extra = ['--lock-ms', String(lockMs)];
  const hosts = [await startHost(broker, 'A', worker, extra), await startHost(broker, 'B', worker, extra)];
  const client = new Redis(broker);
  const inputs = Array.from({ length: 300 }, (_, i) => String(400_000 + i * 1000)).join('\n') + '\n';
  const run = spawn(process.execPath, [concurBin, 'fan-out', '--broker', broker, '--json'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  run.stdin.end(inputs);
  let out = '';
  run.stdout.setEncoding('utf8');
  const exited = new Promise((resolve) => run.once('exit', resolve));
  await new Promise((resolve) =>
    run.stdout.on('data', (text) => {
      out += text;
      if (out.includes('"host":"A"')) resolve();
    }),
  );
  const held = [];
  for (const id of await client.lrange('concur:concur:active', 0, -1))
    if ((await client.hget(`concur:concur:${id}`, 'pb')) === 'A') held.push(id);
  const killedAt = performance.now();
  hosts[0].removeAllListeners('exit');
  hosts[0].kill('SIGKILL');
  for (;;) {
    const left = await Promise.all(held.map((id) => client.exists(`concur:concur:${id}`)));
    if (left.every((n) => n === 0)) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const ms = performance.now() - killedAt;
  const code = await exited;
  if (held.length === 0) throw new Error('host A held no batch when it was killed: nothing was measured');
  client.disconnect();
  await stopHost(hosts[1]);
  if (code !== 0) throw new Error(`the run with a killed host exited ${code}`);
  return { ms, held: held.length };
}

const redis = await startLocalRedis({ guard: true });
const rows = [];
const notes = [];
let missed = false;
let recovery;
try {
  for (const [label, file, count, worker, goal] of [
    ['tiny (identity)', tinyFile, TINY, 'identity', 1_000_000],
    ['CPU-bound (count-primes)', cpuFile, CPU, 'count-primes', undefined],
  ]) {
    const hosts = [await startHost(redis.url, 'A', worker), await startHost(redis.url, 'B', worker)];
    // The reference moves the tiny lines only: it runs no worker code.
    const minimalHosts = goal
      ? [
          await startReady([minimal, 'worker', redis.url, 'mini'], redis.url, 'minimal A'),
          await startReady([minimal, 'worker', redis.url, 'mini'], redis.url, 'minimal B'),
        ]
      : [];
    const broker = [];
    const local = [];
    const reference = [];
    const cpu = { coordinator: [], hosts: [], minimal: [] };
    for (let run = 0; run < RUNS; run++) {
      const before = hostsCpu(hosts);
      const remote = await concurRun(['fan-out', '--broker', redis.url], file);
      cpu.hosts.push(hostsCpu(hosts) - before);
      if (remote.cpu !== undefined) cpu.coordinator.push(remote.cpu);
      const here = await concurRun(['fan-out', '-j', '2', '--worker', worker], file);
      if (remote.lines !== count || here.lines !== count) throw new Error(`${label}: wrong line count`);
      broker.push((count / remote.ms) * 1000);
      local.push((count / here.ms) * 1000);
      if (goal) {
        const before = hostsCpu(minimalHosts);
        const mini = await timed([minimal, 'client', redis.url, 'mini', '65536'], file);
        cpu.minimal.push(hostsCpu(minimalHosts) - before + (mini.cpu ?? 0));
        if (mini.lines !== count) throw new Error(`${label}: the minimal client lost lines`);
        reference.push((count / mini.ms) * 1000);
      }
    }
    await Promise.all([...hosts, ...minimalHosts].map(stopHost));
    const viaRedis = median(broker);
    const viaPool = median(local);
    const viaMinimal = goal ? median(reference) : undefined;
    if (goal && viaRedis < goal) missed = true;
    const rate = (value) => (value === undefined ? '—' : Math.round(value).toLocaleString('en'));
    rows.push([
      label,
      count.toLocaleString('en'),
      rate(viaRedis),
      rate(viaMinimal),
      rate(viaPool),
      viaMinimal ? `${(viaRedis / viaMinimal).toFixed(2)}×` : '—',
      `${(viaRedis / viaPool).toFixed(2)}×`,
      goal ? `≥ ${goal.toLocaleString('en')}/s: ${verdict(viaRedis >= goal)}` : '(report)',
    ]);
    const seconds = (list) => (list.length ? `${median(list).toFixed(2)} s` : 'not measured');
    notes.push(
      `${label}: CPU (user+sys, median) per run: coordinator ${seconds(cpu.coordinator)}, hosts with their pools ${seconds(cpu.hosts)}` +
        (goal ? `; minimal client with its workers ${seconds(cpu.minimal)}` : '') +
        `; load average ${load()}`,
    );
  }
  recovery = await killRecovery(redis.url, 4000);
} finally {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
table(
  [
    'items',
    'lines',
    'broker, 2 hosts (lines/s)',
    'minimal BullMQ (lines/s)',
    'local -j 2 (lines/s)',
    'broker / minimal',
    'broker / local',
    'goal',
  ],
  rows,
);
console.log(`\nmedian of ${RUNS} runs each; wall time per command, start-up included.`);
for (const note of notes) console.log(note);
console.log(
  `\nhost SIGKILLed holding ${recovery.held} batch(es): all finished on the other host ${Math.round(recovery.ms)} ms after the kill (lock 4000 ms, stalled check every 2000 ms); load average ${load()}.`,
);
if (missed) {
  console.log('a goal was missed.');
  process.exit(1);
}
