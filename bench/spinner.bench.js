// The spinner's costs, in one run: the computation with a child spinner against --no-spinner, the frame
// interval while the parent is busy, the spinner's CPU use, and the time from launch to the first frame.
// Spinner runs happen in a real pseudo-terminal (util-linux `script`) so the child really draws.
import { spawn, spawnSync } from 'node:child_process';
import { concurBin, median, table, verdict } from './lib.js';

const SIZE = process.env.BENCH_SPINNER_SIZE ?? '16000000';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const env = { ...process.env, CI: '', TERM: 'xterm-256color' };
delete env.CI;

// Run concur in a pty; resolve with the JSON it printed and the ms from spawn to the first spinner frame.
function inTerminal(args) {
  return new Promise((resolve, reject) => {
    const cmd = ['node', concurBin, ...args].map((a) => `'${a}'`).join(' ');
    const started = performance.now();
    const child = spawn('script', ['-qfec', `stty cols 80 rows 24; ${cmd}`, '/dev/null'], { env });
    let out = '';
    let firstFrameMs;
    child.stdout.on('data', (chunk) => {
      out += chunk;
      // ora's first frame: the braille spinner glyph after the cursor-hide sequence.
      if (firstFrameMs === undefined && /[\u2800-\u28ff]/.test(out))
        firstFrameMs = performance.now() - started;
    });
    child.on('error', reject);
    child.on('close', () => {
      const json = out.slice(out.indexOf('{"result"'), out.lastIndexOf('}') + 1);
      resolve({ json: JSON.parse(json), firstFrameMs });
    });
  });
}

const withSpinner = [];
const without = [];
const intervalsP95 = [];
const cpu = [];
const cpuTotal = [];
const firstFrames = [];
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the two variants so drift on the machine affects both alike.
  const a = await inTerminal(['spinner', '--size', SIZE, '--json']);
  withSpinner.push(a.json.elapsedMs);
  intervalsP95.push(a.json.spinner.intervalP95Ms);
  cpu.push(a.json.spinner.spinCpuPercent);
  cpuTotal.push(a.json.spinner.cpuMs);
  firstFrames.push(a.firstFrameMs);
  const b = spawnSync('node', [concurBin, 'spinner', '--size', SIZE, '--json', '--no-spinner'], { env });
  without.push(JSON.parse(String(b.stdout)).elapsedMs);
}

const slowdown = (median(withSpinner) / median(without) - 1) * 100;
const p95 = median(intervalsP95);
console.log(`countPrimes(${SIZE}), ${ROUNDS} rounds each, medians; spinner runs in a pseudo-terminal\n`);
table(
  ['measure', 'figure', 'target', 'verdict'],
  [
    ['computation, --no-spinner', `${median(without).toFixed(0)} ms`, '', ''],
    ['computation, child spinner', `${median(withSpinner).toFixed(0)} ms`, '', ''],
    ['slowdown from the spinner', `${slowdown.toFixed(1)} %`, '≤ 3 %', verdict(slowdown <= 3)],
    [
      'frame interval p95 (nominal 80 ms)',
      `${p95.toFixed(1)} ms (${(p95 / 80).toFixed(2)}×)`,
      '≤ 1.1×',
      verdict(p95 <= 88),
    ],
    ['spinner child CPU in all, start-up included', `${median(cpuTotal).toFixed(0)} ms`, '', ''],
    [
      'spinner CPU while spinning (start-up excluded)',
      `${median(cpu).toFixed(2)} % of a core`,
      '< 0.5 %',
      verdict(median(cpu) < 0.5),
    ],
    [
      'launch → first frame',
      `${median(firstFrames).toFixed(0)} ms`,
      '< 250 ms',
      verdict(median(firstFrames) < 250),
    ],
  ],
);

// The floor under any spinner process: a Node process in the same pseudo-terminal whose 80 ms timer draws
// nothing, and the same timer writing a frame of the same size each tick; CPU while ticking, start-up excluded.
function floor(write) {
  const script = `const { writeSync } = require('node:fs');
const frame = '\\u001b[?2026h\\u001b[1G\\u001b[0K\\u001b[36m⠋\\u001b[39m Counting primes\\u001b[?2026l';
const cpu = process.cpuUsage(); const at = performance.now();
const timer = setInterval(() => { ${write ? 'writeSync(2, frame);' : ''} }, 80);
setTimeout(() => { clearInterval(timer); const used = process.cpuUsage(cpu);
  console.log('CPU%', ((used.user + used.system) / 10 / (performance.now() - at)).toFixed(3)); }, 4000);`;
  const result = spawnSync('script', ['-qfec', 'node -e "$FLOOR_SCRIPT"', '/dev/null'], {
    env: { ...env, FLOOR_SCRIPT: script },
    encoding: 'utf8',
  });
  return Number(/CPU% ([\d.]+)/.exec(result.stdout)?.[1] ?? NaN);
}
const idle = [];
const writing = [];
for (let round = 0; round < ROUNDS; round++) {
  idle.push(floor(false));
  writing.push(floor(true));
}
console.log(
  `\nfloor, a Node process in the same terminal: an 80 ms timer alone ${median(idle).toFixed(2)} % of a core; writing one frame per tick ${median(writing).toFixed(2)} %`,
);
