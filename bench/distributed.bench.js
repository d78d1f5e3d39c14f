// Distributed fan-out through loopback Redis against local fan-out, on the same input in the same run:
// two `concur worker` hosts (one worker process each) vs `concur fan-out -j 2`. Lines/s end to end, with the
// CLI's start-up included on both sides. Goal for tiny items: at least 1,000,000 lines/s through Redis; the
// script exits 1 when a goal is missed. Then: a host SIGKILLed mid-run, and the time until every batch it held
// has finished on the other host, against its lock time.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
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

// Run concur with stdin from a file; resolve with wall ms and the number of output lines.
function timed(args, file) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [concurBin, ...args], {
      stdio: [openSync(file, 'r'), 'pipe', 'inherit'],
    });
    let lines = 0;
    child.stdout.on('data', (chunk) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`concur ${args.join(' ')} exited ${code}`));
      else resolve({ ms, lines });
    });
  });
}

function startHost(broker, name, worker, extra = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [concurBin, 'worker', '--name', name, '-j', '1', '--worker', worker, ...extra],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, CONCUR_BROKER: broker },
      },
    );
    let seen = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      seen += text;
      if (seen.includes('ready, pulling')) resolve(child);
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
  client.disconnect();
  await stopHost(hosts[1]);
  if (code !== 0) throw new Error(`the run with a killed host exited ${code}`);
  return { ms, held: held.length };
}

const redis = await startLocalRedis({ guard: true });
const rows = [];
let missed = false;
let recovery;
try {
  for (const [label, file, count, worker, goal] of [
    ['tiny (identity)', tinyFile, TINY, 'identity', 1_000_000],
    ['CPU-bound (count-primes)', cpuFile, CPU, 'count-primes', undefined],
  ]) {
    const hosts = [await startHost(redis.url, 'A', worker), await startHost(redis.url, 'B', worker)];
    const broker = [];
    const local = [];
    for (let run = 0; run < RUNS; run++) {
      const remote = await timed(['fan-out', '--broker', redis.url], file);
      const here = await timed(['fan-out', '-j', '2', '--worker', worker], file);
      if (remote.lines !== count || here.lines !== count) throw new Error(`${label}: wrong line count`);
      broker.push((count / remote.ms) * 1000);
      local.push((count / here.ms) * 1000);
    }
    await Promise.all(hosts.map(stopHost));
    const viaRedis = median(broker);
    const viaPool = median(local);
    if (goal && viaRedis < goal) missed = true;
    rows.push([
      label,
      count.toLocaleString('en'),
      Math.round(viaRedis).toLocaleString('en'),
      Math.round(viaPool).toLocaleString('en'),
      `${(viaRedis / viaPool).toFixed(2)}×`,
      goal ? `≥ ${goal.toLocaleString('en')}/s: ${verdict(viaRedis >= goal)}` : '(report)',
    ]);
  }
  recovery = await killRecovery(redis.url, 4000);
} finally {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
table(
  ['items', 'lines', 'broker, 2 hosts (lines/s)', 'local -j 2 (lines/s)', 'broker / local', 'goal'],
  rows,
);
console.log(`\nmedian of ${RUNS} runs each; wall time per command, start-up included.`);
console.log(
  `\nhost SIGKILLed holding ${recovery.held} batch(es): all finished on the other host ${Math.round(recovery.ms)} ms after the kill (lock 4000 ms, stalled check every 2000 ms).`,
);
if (missed) {
  console.log('a goal was missed.');
  process.exit(1);
}
