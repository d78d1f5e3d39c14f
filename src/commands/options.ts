/**
 * Parsers for option values shared by every command. Each throws commander's InvalidArgumentError,
 * which commander turns into one line naming the option; the CLI maps it to exit code 2.
 */
import { InvalidArgumentError } from 'commander';

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
