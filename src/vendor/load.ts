/**
 * BullMQ and ioredis, loaded fast: `npm run build` bundles both into one file (dist/vendor/broker.cjs, made by
 * bundle.ts) with a V8 code cache beside it. Required the usual way, the two are 246 CommonJS modules, 2 MB of
 * JavaScript, each found on disk and compiled at every start: about 170 ms of a core before a coordinator or a
 * host can send or take its first job, against 40 ms for Node itself. One file compiled from its cache takes
 * about 35 ms. Where the bundle is missing (running from src/) or its cache does not fit this Node (another
 * version, other V8 flags: V8 refuses it), the same code loads all the same, only slower.
 * Try: concur demo distributed
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** The bundle's exports: BullMQ and the ioredis it was built with (one copy, shared). */
export interface Broker {
  bullmq: unknown;
  ioredis: unknown;
}

/** Where the build puts the bundle, and its code cache beside it. */
export const BUNDLE = join(dirname(fileURLToPath(import.meta.url)), 'broker.cjs');
export const CACHE = `${BUNDLE}.cache`;

/**
 * The bundle as a compiled script, from its code cache when V8 accepts it. Node's own CommonJS wrapper, so the
 * bundle sees `require`, `module` and `__dirname` as any module does.
 */
export function compileBundle(): { script: Script; cached: boolean } | undefined {
  if (!existsSync(BUNDLE)) return undefined;
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(CACHE);
  } catch {
    // no cache: compile from source
  }
  const script = new Script(Module.wrap(readFileSync(BUNDLE, 'utf8')), { filename: BUNDLE, cachedData });
  return { script, cached: cachedData !== undefined && !script.cachedDataRejected };
}

/** Run a compiled bundle as a CommonJS module and give its exports. */
export function runBundle(script: Script): Broker {
  const module = { exports: {} as Broker };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE));
  return module.exports;
}

let loaded: Broker | undefined;

/** BullMQ and ioredis: from the bundle when the build made one, else from node_modules as usual. */
export function loadBroker(): Broker {
  if (loaded) return loaded;
  const compiled = compileBundle();
  if (compiled) loaded = runBundle(compiled.script);
  else {
    const require = createRequire(import.meta.url);
    loaded = { bullmq: require('bullmq'), ioredis: require('ioredis') };
  }
  return loaded;
}
