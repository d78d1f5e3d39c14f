/**
 * The module contract: one definition for every environment that runs user code.
 * A pipeline stage (its own process), a coroutine stage (all in one process) and a fan-out worker (a pool of
 * processes) all load the same kind of module:
 *
 *   export default function (line) { return line.toUpperCase(); }   // string: emit it
 *   // null or undefined: drop the line; an array of strings: emit each; or a promise of any of these
 *   export function flush() { return [`${count}`]; }                // optional: lines to emit at end of input
 *
 * "The coroutine is the implementation; the environment is whatever you choose" (Beazley).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError } from './errors.js';

/** What a stage returns for one line. */
export type StageResult = string | null | undefined | readonly string[];

/** The default export: one line in, zero or more lines out. */
export type StageFunction = (line: string) => StageResult | Promise<StageResult>;

/** A loaded module, ready to run. */
export interface Stage {
  /** How the user named it: a built-in name or a path. */
  readonly name: string;
  /** The file it was loaded from (a file: URL), to hand to child processes. */
  readonly url: string;
  readonly transform: StageFunction;
  readonly flush?: () => StageResult | Promise<StageResult>;
}

/** The built-in modules, by name: each is a file in src/builtins/. */
export const builtins: Readonly<Record<string, string>> = {
  identity: 'identity.js',
  upper: 'upper.js',
  'is-prime': 'is-prime.js',
  'count-primes': 'count-primes.js',
};

/** Turn a stage's answer into the lines to emit (none, one or many). */
export function linesOf(result: StageResult): readonly string[] {
  if (result === null || result === undefined) return [];
  if (typeof result === 'string') return [result];
  if (Array.isArray(result) && result.every((item) => typeof item === 'string')) return result;
  throw new TypeError(
    `a stage must return a string, null/undefined, or an array of strings; got ${describe(result)}`,
  );
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array with a non-string item';
  return typeof value;
}

/** Where a module named on the command line lives: a built-in name, or a path relative to `cwd`. */
export function resolveModule(spec: string, cwd = process.cwd()): { name: string; url: string } {
  const builtin = builtins[spec];
  if (builtin) return { name: spec, url: new URL(`./builtins/${builtin}`, import.meta.url).href };
  const path = spec.startsWith('file:') ? fileURLToPath(spec) : resolve(cwd, spec);
  if (!existsSync(path)) {
    const names = Object.keys(builtins).join(', ');
    throw new UsageError(
      `module not found: ${spec} (give a path to a .js file, or a built-in: ${names}).`,
      'ENOMODULE',
    );
  }
  return { name: spec, url: pathToFileURL(path).href };
}

/**
 * Load a module by built-in name or path and check its shape. Any problem (missing file, syntax error,
 * no default function) is a UsageError (exit 2) whose one line says how to fix it.
 */
export async function loadStage(spec: string, cwd = process.cwd()): Promise<Stage> {
  const { name, url } = resolveModule(spec, cwd);
  let module: { default?: unknown; flush?: unknown };
  try {
    module = (await import(url)) as typeof module;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UsageError(`cannot load ${spec}: ${reason}`, 'EBADMODULE', { cause: error });
  }
  if (typeof module.default !== 'function')
    throw new UsageError(
      `${spec} has no default export function: add \`export default function (line) { return line; }\`.`,
      'EBADMODULE',
    );
  if (module.flush !== undefined && typeof module.flush !== 'function')
    throw new UsageError(`${spec} exports \`flush\`, but it is not a function.`, 'EBADMODULE');
  return {
    name,
    url,
    transform: module.default as StageFunction,
    flush: module.flush as Stage['flush'],
  };
}
