/**
 * Module hooks that let an ES module written as a `.js` file load inside a CommonJS package (a project made
 * with `npm init -y`, whose package.json says "type": "commonjs", or no package.json at all). Node 20 loads such
 * a file as CommonJS and fails on its first `export`, after printing warnings. contract.ts registers these hooks
 * (module.register, on Node's loader thread) only when a user's module needs them.
 *
 * Why hooks, and not a copy or a `data:` URL of the source: the file keeps its own URL, so its relative imports
 * (`./helper.js`), `import.meta.url` and error locations stay those of the user's file, and nothing is written
 * anywhere. Only files Node would load as CommonJS and that cannot be CommonJS (they use import/export,
 * import.meta or top-level await: the same test Node 22 applies to files with no "type") are loaded as ES
 * modules; a real CommonJS file is left alone.
 */
import { readFileSync } from 'node:fs';
import { compileFunction } from 'node:vm';

// What V8 says when ES module syntax is compiled as CommonJS.
const esmOnly = [
  'Cannot use import statement outside a module',
  "Unexpected token 'export'",
  "Cannot use 'import.meta' outside a module",
  'await is only valid in async functions and the top level bodies of modules',
];

/** True when `source` must be an ES module: it does not compile as CommonJS, for ES module syntax only. */
export function needsModuleFormat(source: string): boolean {
  try {
    compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname']);
    return false;
  } catch (error) {
    const message = error instanceof SyntaxError ? error.message : '';
    return esmOnly.some((text) => message.includes(text));
  }
}

interface LoadContext {
  format?: string | null;
  conditions?: string[];
  importAttributes?: Record<string, string>;
}
interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}

/** The `load` hook: a `.js` file bound for CommonJS but written as an ES module loads as one. */
export async function load(
  url: string,
  context: LoadContext,
  nextLoad: (url: string, context: LoadContext) => Promise<LoadResult>,
): Promise<LoadResult> {
  const loaded = await nextLoad(url, context);
  if (loaded.format !== 'commonjs' || !url.startsWith('file:')) return loaded;
  const file = new URL(url);
  if (!file.pathname.endsWith('.js')) return loaded;
  const source = readFileSync(file, 'utf8');
  if (!needsModuleFormat(source)) return loaded;
  return { format: 'module', source, shortCircuit: true };
}
