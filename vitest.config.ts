import { defineConfig } from 'vitest/config';

// Tests drive real processes on a 2-core machine: keep parallelism modest so timing-free waits stay fast.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Above the longest time a test allows its own command (the helpers' default is 60 s; some give 120 s), so a
    // slow command on a busy machine fails by its own bound, with its output, never by vitest's.
    testTimeout: 150_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    fileParallelism: true,
  },
});
