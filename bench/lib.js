// Small helpers shared by the bench scripts: timing, percentiles and a markdown table.
import { fileURLToPath } from 'node:url';

/** The built CLI. */
export const concurBin = fileURLToPath(new URL('../bin/concur.js', import.meta.url));

/** Median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Print rows (arrays of cells) as a markdown table with a header row. */
export function table(header, rows) {
  const all = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(all[0]));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const row of all.slice(1)) console.log(line(row));
}

/**
 * "pass"/"FAIL" against a target, for the last column of a table. A FAIL also makes the bench exit 1, so
 * `npm run bench` (bench/run.js) fails when any target is missed.
 */
export function verdict(ok) {
  if (!ok) process.exitCode = 1;
  return ok ? 'pass' : 'FAIL';
}
