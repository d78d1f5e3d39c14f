import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The build's own output, as `concur` runs it (src/ has no bundle: there the libraries load from node_modules).
const built = fileURLToPath(new URL('../../dist/vendor/load.js', import.meta.url));
type Load = typeof import('../../src/vendor/load.js');

describe('the bundled broker libraries', () => {
  it('the build made the bundle, and V8 takes its code cache (else every start compiles it all again)', async () => {
    const { BUNDLE, CACHE, compileBundle } = (await import(built)) as Load;
    expect(existsSync(BUNDLE) && existsSync(CACHE)).toBe(true);
    expect(compileBundle()?.cached).toBe(true);
  });

  it('gives BullMQ and ioredis', async () => {
    const { loadBroker } = (await import(built)) as Load;
    const { bullmq, ioredis } = loadBroker() as {
      bullmq: typeof import('bullmq');
      ioredis: typeof import('ioredis');
    };
    expect(typeof bullmq.Queue).toBe('function');
    expect(typeof bullmq.Worker).toBe('function');
    expect(typeof ioredis.Redis).toBe('function');
  });

  it('without a bundle, loads the same libraries from node_modules', async () => {
    const { BUNDLE, loadBroker } = await import('../../src/vendor/load.js');
    expect(existsSync(BUNDLE)).toBe(false);
    const { bullmq } = loadBroker() as { bullmq: typeof import('bullmq') };
    expect(bullmq).toBe(createRequire(import.meta.url)('bullmq'));
  });
});
