import { describe, expect, it } from 'vitest';
import { OrderedWindow } from '../../../src/patterns/fan-out/window.js';

describe('OrderedWindow', () => {
  it('numbers batches 0, 1, 2 in the order they are added', () => {
    const window = new OrderedWindow<string>({ maxBatches: 10 });
    expect([window.add(), window.add(), window.add()]).toEqual([0, 1, 2]);
    expect(window.outstanding).toBe(3);
  });

  it('ordered: delivers in the order added, holding a finished batch until those before it are taken', () => {
    const window = new OrderedWindow<string>({ maxBatches: 10 });
    for (let i = 0; i < 3; i++) window.add();
    window.settle(2, 'c');
    expect(window.take()).toBeUndefined();
    window.settle(0, 'a');
    expect(window.take()).toBe('a');
    expect(window.take()).toBeUndefined();
    window.settle(1, 'b');
    expect([window.take(), window.take(), window.take()]).toEqual(['b', 'c', undefined]);
    expect(window.outstanding).toBe(0);
  });

  it('unordered: delivers in the order batches settle', () => {
    const window = new OrderedWindow<string>({ ordered: false, maxBatches: 10 });
    for (let i = 0; i < 3; i++) window.add();
    window.settle(2, 'c');
    window.settle(0, 'a');
    expect([window.take(), window.take(), window.take()]).toEqual(['c', 'a', undefined]);
    window.settle(1, 'b');
    expect(window.take()).toBe('b');
  });

  it('is full at maxBatches until a batch is taken (settling is not enough)', () => {
    const window = new OrderedWindow<string>({ maxBatches: 2 });
    window.add();
    expect(window.full).toBe(false);
    window.add();
    expect(window.full).toBe(true);
    window.settle(0, 'a');
    expect(window.full).toBe(true);
    window.take();
    expect(window.full).toBe(false);
    expect(window.outstanding).toBe(1);
  });

  it('is full at maxChars of outstanding input, and taking a batch frees its characters', () => {
    const window = new OrderedWindow<string>({ maxBatches: 10, maxChars: 10 });
    window.add(6);
    expect(window.full).toBe(false);
    window.add(4);
    expect(window.outstandingChars).toBe(10);
    expect(window.full).toBe(true);
    window.settle(0, 'a');
    window.take();
    expect(window.outstandingChars).toBe(4);
    expect(window.full).toBe(false);
  });

  it('ignores a second settle of a batch (the first outcome wins) and a settle of an unknown batch', () => {
    const window = new OrderedWindow<string>({ maxBatches: 10 });
    window.add();
    window.settle(0, 'first');
    window.settle(0, 'again');
    window.settle(7, 'stray');
    expect(window.take()).toBe('first');
    expect(window.take()).toBeUndefined();
    window.settle(0, 'late');
    expect(window.take()).toBeUndefined();
    expect(window.outstanding).toBe(0);
  });
});
