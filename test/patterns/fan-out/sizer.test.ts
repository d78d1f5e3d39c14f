import { describe, expect, it } from 'vitest';
import { BatchSizer } from '../../../src/patterns/fan-out/sizer.js';

describe('BatchSizer', () => {
  it('starts with one item', () => {
    expect(new BatchSizer().next()).toBe(1);
  });

  it('at most doubles per batch, up to maxItems, when items are free', () => {
    const sizer = new BatchSizer(10);
    const sizes: number[] = [];
    for (let i = 0; i < 5; i++) {
      sizer.observe(sizer.next(), 0);
      sizes.push(sizer.next());
    }
    expect(sizes).toEqual([2, 4, 8, 10, 10]);
  });

  it('aims at targetMs of work per batch from a moving average of the cost per item', () => {
    const sizer = new BatchSizer();
    sizer.observe(1, 1); // 1 ms per item: ideal 20, but at most double the last (1 → 2)
    expect(sizer.next()).toBe(2);
    sizer.observe(2, 0.2); // 0.1 ms per item: average 0.7 × 1 + 0.3 × 0.1 = 0.73 ms; ideal 27; double: 4
    expect(sizer.next()).toBe(4);
    sizer.observe(4, 4); // 1 ms per item: average 0.811 ms; ideal floor(20 / 0.811) = 24; double: 8
    expect(sizer.next()).toBe(8);
  });

  it('sends slow items one by one', () => {
    const sizer = new BatchSizer();
    sizer.observe(1, 100);
    expect(sizer.next()).toBe(1);
  });

  it('uses its own target time', () => {
    const sizer = new BatchSizer(4096, 200);
    sizer.observe(1, 50); // ideal 4
    sizer.observe(2, 100); // 50 ms per item: ideal 4, double of 2 is 4
    expect(sizer.next()).toBe(4);
    sizer.observe(4, 400); // 100 ms per item now: average 65 ms; ideal floor(200 / 65) = 3
    expect(sizer.next()).toBe(3);
  });

  it('with a known total, gives at most a quarter of the remainder per worker, rounded up, never 0', () => {
    const sizer = new BatchSizer(100);
    for (let i = 0; i < 10; i++) sizer.observe(sizer.next(), 0);
    expect(sizer.next()).toBe(100);
    expect(sizer.next({ remaining: 100, workers: 2 })).toBe(13);
    expect(sizer.next({ remaining: 10_000, workers: 2 })).toBe(100);
    expect(sizer.next({ remaining: 1, workers: 4 })).toBe(1);
    expect(sizer.next({ remaining: 0, workers: 4 })).toBe(1);
  });
});
