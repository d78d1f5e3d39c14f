import { defineConfig } from 'vitest/config';

// Tests drive real processes on a 2-core machine: keep parallelism modest so timing-free waits stay fast.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    maxWorkers: 2,
    fileParallelism: true,
  },
});
