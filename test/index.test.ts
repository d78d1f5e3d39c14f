/**
 * The library's entry points: the root and one subpath per pattern resolve through package.json `exports`, and
 * importing any of them loads no terminal code (chalk, ora, the CLI's output module) and no broker client.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { patterns } from '../src/registry.js';
import { fixture, tempDirs } from './helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tempDir = tempDirs('imports');
const entryPoints = [
  'concur-patterns',
  ...patterns.map((p) => `concur-patterns/${p.name}`),
  'concur-patterns/trace',
];

// Import `specifiers` in a fresh node (by package name, as another project would) and list every module resolved.
async function importsOf(
  specifiers: string[],
): Promise<{ exports: Record<string, string[]>; urls: string[] }> {
  const log = join(tempDir(), 'imports.log');
  const program = `const out = {};
for (const s of ${JSON.stringify(specifiers)}) out[s] = Object.keys(await import(s)).sort();
console.log(JSON.stringify(out));`;
  const run = await execa(
    'node',
    ['--import', fixture('log-imports.mjs'), '--input-type=module', '-e', program],
    {
      cwd: root,
      env: { CONCUR_IMPORT_LOG: log },
      reject: false,
      timeout: 30_000,
    },
  );
  expect(run.stderr).toBe('');
  expect(run.exitCode).toBe(0);
  return {
    exports: JSON.parse(run.stdout) as Record<string, string[]>,
    urls: readFileSync(log, 'utf8').trim().split('\n'),
  };
}

describe('the library', () => {
  it('imports without loading chalk, ora, execa, BullMQ or the output module', async () => {
    const { urls } = await importsOf(['concur-patterns']);
    expect(urls).toContain(`file://${join(root, 'dist/index.js')}`);
    const terminal = urls.filter((url) =>
      /\/node_modules\/(chalk|ora|execa|bullmq|ioredis|commander)\/|\/dist\/(terminal\/output|cli|registry)\.js$/.test(
        url,
      ),
    );
    expect(terminal).toEqual([]);
  });

  it('has one entry point per pattern, none of which loads terminal code', async () => {
    const { exports, urls } = await importsOf(entryPoints);
    expect(Object.keys(exports)).toEqual(entryPoints);
    for (const specifier of entryPoints) expect(exports[specifier]?.length, specifier).toBeGreaterThan(0);
    expect(
      urls.filter((url) => /\/node_modules\/(chalk|ora|bullmq)\/|\/dist\/terminal\/output\.js$/.test(url)),
    ).toEqual([]);
  });

  it('exports what the READMEs document, and no internal helpers', async () => {
    const { exports } = await importsOf(['concur-patterns']);
    const names = exports['concur-patterns'] ?? [];
    // The README's library list names every runtime export, pattern by pattern.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Library'), readme.indexOf('## Developing'));
    const listed = section
      .split('\n')
      .filter((line) => /^ *- \[|^ {2}`/.test(line))
      .flatMap((line) => [...line.replace(/\[[^\]]*\]\([^)]*\)/g, '').matchAll(/`(\w+)`/g)].map((m) => m[1]));
    expect(listed).toEqual(
      expect.arrayContaining(['withSpinner', 'runPipeline', 'map', 'Supervisor', 'recorder']),
    );
    expect(listed.filter((name) => !names.includes(name!))).toEqual([]);
    // And every export is taught in some README, under its own name.
    const files = [
      ...patterns.map((p) => `src/patterns/${p.name}/README.md`),
      'src/trace/README.md',
      'src/process/README.md',
    ];
    const readmes = [readme, ...files.map((file) => readFileSync(join(root, file), 'utf8'))].join('\n');
    expect(names.filter((name) => !readmes.includes(`\`${name}`))).toEqual([]);
    for (const internal of [
      'stageChildPath',
      'coroutineChildPath',
      'LineDecoder',
      'lineChunks',
      'BatchSizer',
      'ResultBatch',
      'patterns',
      'builtins',
    ])
      expect(names).not.toContain(internal);
  });
});
