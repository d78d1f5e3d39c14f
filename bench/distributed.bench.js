// Distributed fan-out through loopback Redis against local fan-out, on the same input in the same run:
// two `concur worker` hosts (one worker process each) vs `concur fan-out -j 2`. Lines/s end to end, with the
// CLI's start-up included on both sides. Goal for tiny items: at least 200,000 lines/s through Redis.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concurBin, median, table, verdict } from './lib.js';
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

function startHost(broker, name, worker) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [concurBin, 'worker', '--broker', broker, '--name', name, '-j', '1', '--worker', worker],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
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

const redis = await startLocalRedis({ guard: true });
const rows = [];
try {
  for (const [label, file, count, worker, goal] of [
    ['tiny (identity)', tinyFile, TINY, 'identity', 200_000],
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
    rows.push([
      label,
      count.toLocaleString('en'),
      Math.round(viaRedis).toLocaleString('en'),
      Math.round(viaPool).toLocaleString('en'),
      `${(viaRedis / viaPool).toFixed(2)}×`,
      goal ? `≥ ${goal.toLocaleString('en')}/s: ${verdict(viaRedis >= goal)}` : '(report)',
    ]);
  }
} finally {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
table(
  ['items', 'lines', 'broker, 2 hosts (lines/s)', 'local -j 2 (lines/s)', 'broker / local', 'goal'],
  rows,
);
console.log(`\nmedian of ${RUNS} runs each; wall time per command, start-up included.`);
