// Start-up: `concur --help` and `concur demo` (the list) against `node -e 0`, the floor any Node CLI stands on,
// with two steps between them that concur cannot avoid: an empty ES module (the ESM loader itself) and
// `require('commander')` (the parser, which loads child_process and its network modules). Runs alternate so drift
// on the machine affects all alike; medians. NODE_EXTRA_CA_CERTS is removed from the environment: Node 20 reads
// that file at every start (about 60–100 ms here), which would hide concur's own cost inside a larger floor.
// The same ratio with it set is printed after the table.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concurBin, median, table, verdict } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);
const TARGET = 1.4;
const dir = mkdtempSync(join(tmpdir(), 'concur-startup-'));
const emptyModule = join(dir, 'empty.mjs');
writeFileSync(emptyModule, '');
const commander = createRequire(import.meta.url).resolve('commander');
const variants = {
  'node -e 0': ['-e', '0'],
  'node empty.mjs': [emptyModule],
  "node -e require('commander')": ['-e', `require(${JSON.stringify(commander)})`],
  'concur --help': [concurBin, '--help'],
  'concur demo': [concurBin, 'demo'],
};
const clean = { ...process.env };
delete clean.NODE_EXTRA_CA_CERTS;

// Wall time of one run, in ms, from spawn to exit.
function time(args, env = clean) {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  return performance.now() - started;
}

const times = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (const args of Object.values(variants)) time(args); // warm the file cache
for (let round = 0; round < ROUNDS; round++)
  for (const [name, args] of Object.entries(variants)) times[name].push(time(args));

const floor = median(times['node -e 0']);
const load = (await import('node:os')).loadavg().map((n) => n.toFixed(2));
console.log(
  `${ROUNDS} runs each, alternating; medians of wall time from spawn to exit; load ${load.join(' ')}\n`,
);
let missed = false;
table(
  ['command', 'median', 'of node -e 0', 'target', 'verdict'],
  Object.keys(variants).map((name) => {
    const ms = median(times[name]);
    const ratio = ms / floor;
    const isConcur = name.startsWith('concur');
    if (isConcur && ratio > TARGET) missed = true;
    return [
      name,
      `${ms.toFixed(1)} ms`,
      `${ratio.toFixed(2)}×`,
      isConcur ? `≤ ${TARGET}×` : '',
      isConcur ? verdict(ratio <= TARGET) : '',
    ];
  }),
);

if (process.env.NODE_EXTRA_CA_CERTS) {
  const withCa = { node: [], help: [] };
  for (let round = 0; round < 7; round++) {
    withCa.node.push(time(['-e', '0'], process.env));
    withCa.help.push(time([concurBin, '--help'], process.env));
  }
  const [node, help] = [median(withCa.node), median(withCa.help)];
  console.log(
    `\nwith NODE_EXTRA_CA_CERTS as this machine sets it: node -e 0 ${node.toFixed(1)} ms, concur --help ${help.toFixed(1)} ms (${(help / node).toFixed(2)}×)`,
  );
}
rmSync(dir, { recursive: true, force: true });
process.exitCode = missed ? 1 : 0;
