#!/usr/bin/env node
// `npm run bench [name...]`: run each bench/<name>.bench.js in turn (one at a time, so they never compete for
// the two cores) and let each print its own table. With names, only those benches run.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((file) => file.endsWith('.bench.js'))
  .map((file) => file.replace(/\.bench\.js$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

let failed = 0;
for (const name of benches) {
  console.log(`\n## ${name}\n`);
  const result = spawnSync(process.execPath, [`${dir}${name}.bench.js`], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.log(`(bench ${name} failed: exit ${result.status ?? result.signal})`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
