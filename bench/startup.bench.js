// Start-up: `concur --help` and `concur demo` (the list) against `node -e 0`, the floor any Node CLI stands on.
// Runs alternate (node, help, demo, node, ...) so drift on the machine affects all three alike; medians.
import { spawnSync } from 'node:child_process';
import { concurBin, median, table, verdict } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);
const TARGET = 1.4;
const variants = {
  'node -e 0': ['-e', '0'],
  'concur --help': [concurBin, '--help'],
  'concur demo': [concurBin, 'demo'],
};

// Wall time of one run, in ms, from spawn to exit.
function time(args) {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  return performance.now() - started;
}

const times = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (const args of Object.values(variants)) time(args); // warm the file cache
for (let round = 0; round < ROUNDS; round++)
  for (const [name, args] of Object.entries(variants)) times[name].push(time(args));

const floor = median(times['node -e 0']);
console.log(`${ROUNDS} runs each, alternating; medians of wall time from spawn to exit\n`);
table(
  ['command', 'median', 'of node -e 0', 'target', 'verdict'],
  Object.keys(variants).map((name) => {
    const ms = median(times[name]);
    const ratio = ms / floor;
    const isFloor = name === 'node -e 0';
    return [
      name,
      `${ms.toFixed(1)} ms`,
      `${ratio.toFixed(2)}×`,
      isFloor ? '' : `≤ ${TARGET}×`,
      isFloor ? '' : verdict(ratio <= TARGET),
    ];
  }),
);
