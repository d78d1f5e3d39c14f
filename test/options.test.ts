/**
 * The option parsers every command shares: each accepted form gives an exact value, and each rejected one
 * throws commander's InvalidArgumentError with the one-line message the CLI prints.
 */
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseCount, parseCountOrZero, parseDuration, parseJobs, parseSeconds } from '../src/options.js';

// The error a parser throws for `value`, asserted to be commander's kind.
function rejection(parse: (value: string) => number, value: string): string {
  try {
    parse(value);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

describe('parseCount: a whole number of at least 1', () => {
  it('reads plain, underscored and exponent forms', () => {
    expect(parseCount('1')).toBe(1);
    expect(parseCount('5000')).toBe(5000);
    expect(parseCount('1_000_000')).toBe(1_000_000);
    expect(parseCount('1e6')).toBe(1_000_000);
    expect(parseCount('2.5e1')).toBe(25);
    expect(parseCount('3.0')).toBe(3);
  });

  it('rejects 0, negatives, fractions, words, blanks and unsafe integers', () => {
    const message = 'expected a whole number of at least 1, like 5000.';
    for (const value of ['0', '-1', '1.5', 'abc', '', ' ', '5x', '0x10', '1e20', 'Infinity'])
      expect(rejection(parseCount, value), value).toBe(message);
  });
});

describe('parseCountOrZero: a whole number of at least 0', () => {
  it('reads 0 as well as every parseCount form', () => {
    expect(parseCountOrZero('0')).toBe(0);
    expect(parseCountOrZero(' 0 ')).toBe(0);
    expect(parseCountOrZero('3')).toBe(3);
    expect(parseCountOrZero('1_000')).toBe(1000);
  });

  it('rejects with a message that says "at least 0"', () => {
    const message = 'expected a whole number of at least 0, like 3.';
    for (const value of ['-1', 'abc', '0.5', ''])
      expect(rejection(parseCountOrZero, value), value).toBe(message);
  });
});

describe('parseSeconds: a positive number of seconds', () => {
  it('reads whole and fractional seconds', () => {
    expect(parseSeconds('5')).toBe(5);
    expect(parseSeconds('0.5')).toBe(0.5);
    expect(parseSeconds('.25')).toBe(0.25);
    expect(parseSeconds(' 2 ')).toBe(2);
  });

  it('rejects 0, negatives, units and words', () => {
    const message = 'expected a number of seconds above 0, like 5 or 0.5.';
    for (const value of ['0', '0.0', '-1', '5s', 'abc', '', '1e3'])
      expect(rejection(parseSeconds, value), value).toBe(message);
  });
});

describe('parseDuration: a duration with a unit, in milliseconds', () => {
  it('reads ms, s, m and h; a bare number is seconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('3')).toBe(3000);
    expect(parseDuration('0.5')).toBe(500);
    expect(parseDuration('.25s')).toBe(250);
    expect(parseDuration(' 10 s ')).toBe(10_000);
  });

  it('rounds to whole milliseconds, never below 1', () => {
    expect(parseDuration('1.4ms')).toBe(1);
    expect(parseDuration('1.6ms')).toBe(2);
    expect(parseDuration('0.0001s')).toBe(1);
  });

  it('rejects zero, negatives, unknown units and words', () => {
    const message = 'expected a duration above 0 with a unit, like 500ms, 10s or 2m.';
    for (const value of ['0', '0s', '0ms', '-1s', '10x', '10 sec', 'abc', '', 'ms'])
      expect(rejection(parseDuration, value), value).toBe(message);
  });
});

describe('parseJobs: -j as GNU parallel reads it', () => {
  const on2 = (value: string): number => parseJobs(value, 2);

  it('reads N, a share of the cores, and +N/-N relative to them (2 cores)', () => {
    expect(on2('4')).toBe(4);
    expect(on2('1')).toBe(1);
    expect(on2(' 3 ')).toBe(3);
    expect(on2('50%')).toBe(1);
    expect(on2('100%')).toBe(2);
    expect(on2('150%')).toBe(3);
    expect(on2('75%')).toBe(1);
    expect(on2('+1')).toBe(3);
    expect(on2('+0')).toBe(2);
    expect(on2('-1')).toBe(1);
  });

  it('never goes below 1', () => {
    expect(on2('-5')).toBe(1);
    expect(on2('-2')).toBe(1);
    expect(on2('1%')).toBe(1);
    expect(parseJobs('10%', 4)).toBe(1);
  });

  it('scales with the number of cores it is given', () => {
    expect(parseJobs('50%', 8)).toBe(4);
    expect(parseJobs('+2', 8)).toBe(10);
    expect(parseJobs('-3', 8)).toBe(5);
    expect(parseJobs('33%', 8)).toBe(2);
  });

  it('rejects 0, 0%, words and bare signs, naming every form and the cores', () => {
    const message =
      'expected a number of jobs: N (4), a share of the 2 cores (50%), or relative to them (+1, -1).';
    for (const value of ['0', '0%', 'abc', '', '+', '-', '%', '1.5', '-1%', '+1%', '5 %'])
      expect(rejection(on2, value), value).toBe(message);
  });
});
