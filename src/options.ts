/**
 * Parsers for option values shared by every command. Each throws commander's InvalidArgumentError,
 * which commander turns into one line naming the option; the CLI maps it to exit code 2.
 */
import { InvalidArgumentError } from './commander.js';
import type { HaltRule } from './patterns/fan-out/halt.js';

/** A whole number ≥ 1 (`--size 5000`, `--jobs 4`); "1_000_000" and "1e6" are accepted too. */
export function parseCount(value: string): number {
  const cleaned = value.replaceAll('_', '');
  const number = /^\d+(\.\d+)?(e\d+)?$/i.test(cleaned) ? Number(cleaned) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1)
    throw new InvalidArgumentError(`expected a whole number of at least 1, like 5000.`);
  return number;
}

/** A whole number ≥ 0 (`--retries 0`). */
export function parseCountOrZero(value: string): number {
  if (value.trim() === '0') return 0;
  try {
    return parseCount(value);
  } catch {
    throw new InvalidArgumentError(`expected a whole number of at least 0, like 3.`);
  }
}

/** A positive number of seconds, fractions allowed (`--period 5`, `--period 0.5`). */
export function parseSeconds(value: string): number {
  const number = /^\d+(\.\d+)?$|^\.\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isFinite(number) || number <= 0)
    throw new InvalidArgumentError(`expected a number of seconds above 0, like 5 or 0.5.`);
  return number;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration with a unit (`500ms`, `10s`, `2m`, `1.5h`), in milliseconds; a bare number means seconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?$/.exec(value.trim());
  const ms = match ? Number(match[1]) * UNITS[match[2] ?? 's']! : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0 || !Number.isSafeInteger(Math.round(ms)))
    throw new InvalidArgumentError(`expected a duration above 0 with a unit, like 500ms, 10s or 2m.`);
  return Math.max(1, Math.round(ms));
}

/**
 * How many jobs at once, as GNU parallel reads `-j`: `N`, `N%` of the cores (`50%`), or `+N`/`-N` relative
 * to the cores. Never below 1. Whether the machine can hold that many is a separate check (capacity.ts).
 */
export function parseJobs(value: string, cores: number): number {
  const text = value.trim();
  let match: RegExpExecArray | null;
  if ((match = /^(\d+(?:\.\d+)?)%$/.exec(text))) {
    const percent = Number(match[1]);
    if (percent > 0) return Math.max(1, Math.floor((cores * percent) / 100));
  } else if ((match = /^([+-])(\d+)$/.exec(text))) {
    const delta = Number(match[2]);
    return Math.max(1, match[1] === '+' ? cores + delta : cores - delta);
  } else {
    try {
      return parseCount(text);
    } catch {
      // Fall through to the message that names every form.
    }
  }
  throw new InvalidArgumentError(
    `expected a number of jobs: N (4), a share of the ${cores} cores (50%), or relative to them (+1, -1).`,
  );
}

/** Read `--halt`: `never`, or `now|soon,fail|success=N`. Throws a usage error otherwise. */
export function parseHalt(value: string): HaltRule | undefined {
  const text = value.trim();
  if (text === 'never' || text === '0') return undefined;
  const match = /^(now|soon),(fail|success)=(\d+)$/.exec(text);
  const count = match ? Number(match[3]) : Number.NaN;
  if (!match || !(count > 0) || !Number.isSafeInteger(count))
    throw new InvalidArgumentError(
      'expected never, now,fail=N, soon,fail=N or now,success=N (N at least 1).',
    );
  return { when: match[1] as HaltRule['when'], on: match[2] as HaltRule['on'], count };
}
