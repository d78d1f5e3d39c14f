/**
 * The module contract: one definition for every environment that runs user code.
 * A pipeline stage (its own process), a coroutine stage (all in one process) and a fan-out worker (a pool of
 * processes) all load the same kind of module:
 *
 *   export default function (line) { return line.toUpperCase(); }   // string: emit it
 *   // null or undefined: drop the line; an array of strings: emit each; or a promise of any of these
 *   export function flush() { return [`${count}`]; }                // optional: lines to emit at end of input
 *   export function chunk(bytes) { return bytes; }    // optional: many lines at once, as bytes (README.md)
 *
 * Or the default export is a generator function: a coroutine stage. concur calls it once, primes it (runs it
 * to its first `yield`), then sends each line with `next(line)`; the value it yields next is that line's
 * output (same rules as above). At end of input concur closes it with `return()`: whatever it yields in a
 * `finally` block is emitted, as `flush()` would be. An `async function*` works the same way.
 *
 *   export default function* grep() {
 *     let out;                                   // what to emit for the line just received
 *     for (;;) {
 *       const line = yield out;                  // the first yield (priming) emits nothing
 *       out = line.includes('python') ? line : null;
 *     }
 *   }
 *
 * "The coroutine is the implementation; the environment is whatever you choose" (Beazley).
 */
import { existsSync, readFileSync } from 'node:fs';
import { register } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { needsModuleFormat } from './esm-hooks.js';
import { ConcurError, ExitCode, UsageError } from '../process/errors.js';

/** What a stage returns for one line. */
export type StageResult = string | null | undefined | readonly string[];

/** The default export: one line in, zero or more lines out. */
export type StageFunction = (line: string) => StageResult | Promise<StageResult>;

/** What a module's optional `chunk` export returns: whole lines as bytes (or text), each ending in \n; null for none. */
export type ChunkResult = Uint8Array | string | null | undefined;

/**
 * The optional `chunk` export: many whole lines at once, as the bytes read (valid UTF-8, each line ending in
 * \n), returning what the default export would give for them, line by line. For stages that need no string
 * per line (identity, a byte-wise upper case); `concur pipeline` and fan-out workers use it, coroutines the
 * default.
 */
export type ChunkFunction = (bytes: Buffer) => ChunkResult | Promise<ChunkResult>;

/** A loaded module, ready to run. */
export interface Stage {
  /** How the user named it: a built-in name or a path. */
  readonly name: string;
  /** The file it was loaded from (a file: URL), to hand to child processes. */
  readonly url: string;
  readonly transform: StageFunction;
  readonly flush?: () => StageResult | Promise<StageResult>;
  /** The same as `transform` over many lines at once, as bytes, when the module offers it (plain functions only). */
  readonly chunk?: ChunkFunction;
  /** Which form the module used: a plain function, or a (possibly async) generator coroutine. */
  readonly form: StageForm;
}

/** The shapes a stage module's default export may take. */
export type StageForm = 'function' | 'generator' | 'async-generator';

/** A coroutine stage: receives lines through `next(line)`, yields each line's output. */
export type StageGenerator = Generator<StageResult, StageResult | void, string>;
/** The same, as an `async function*`. */
export type AsyncStageGenerator = AsyncGenerator<StageResult, StageResult | void, string>;

/** Options for loadStage. */
export interface LoadOptions {
  /**
   * Load a separate instance of the module (its own module-level state), as a stage in its own process
   * would have. Use a different number for each place the same module appears in one process.
   */
  instance?: number;
  /**
   * Give up after this many milliseconds (default 10 s): a UsageError (exit 2), as for a broken module. 0: no
   * bound here, for a child whose parent bounds its loading from outside (which also stops an endless loop).
   */
  timeoutMs?: number;
}

/** How long a module may take to load (import, top-level code, a coroutine's priming) unless told otherwise. */
export const DEFAULT_LOAD_TIMEOUT_MS = 10_000;

/** The usage error for a module (`what`: its name as the user gave it) still loading after `ms` milliseconds. */
export function loadTimedOut(what: string, ms: number): UsageError {
  const limit = ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
  return new UsageError(
    `${what} did not finish loading within ${limit} (a top-level await that never settles, or an endless loop?): fix it, or allow longer with --load-timeout.`,
    'ELOADTIMEOUT',
  );
}

/** The built-in modules, by name: each is a file in src/modules/builtins/. */
export const builtins: Readonly<Record<string, string>> = {
  identity: 'identity.js',
  upper: 'upper.js',
  lower: 'lower.js',
  words: 'words.js',
  nonempty: 'nonempty.js',
  count: 'count.js',
  tally: 'tally.js',
  'is-prime': 'is-prime.js',
  'count-primes': 'count-primes.js',
};

/** A stage as messages name it: its place in the chain (0-based) and its module as the user gave it. */
export interface StageRef {
  readonly index: number;
  readonly name: string;
}

/** "stage 2 (upper)": how messages name a stage. */
export function stageLabel(stage: StageRef): string {
  return `stage ${stage.index + 1} (${stage.name})`;
}

/**
 * "stage 2 (upper) failed on line 3 ("boom"): reason", or "... failed in flush(): reason" when `line` is null:
 * the one message for a stage's code failing, whichever environment ran it. `line` counts the lines that
 * stage received (1-based); `text` is that line, shortened to 60 characters.
 */
export function failureMessage(stage: StageRef, line: number | null, text: string, reason: string): string {
  const excerpt = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  const where = line === null ? 'in flush()' : `on line ${line} (${JSON.stringify(excerpt)})`;
  return `${stageLabel(stage)} failed ${where}: ${reason.split('\n')[0] ?? ''}`;
}

/** The first line of what a stage threw, for messages. */
export function reasonOf(cause: unknown): string {
  return (cause instanceof Error ? cause.message : String(cause)).split('\n')[0] ?? '';
}

/**
 * A stage failed, in either environment: its code threw or answered something that is not a line (on `line`,
 * or in flush() when `line` is null), or, in a pipeline, its process died (`line` null). Exit code 1, or
 * 128+n for a stage process killed by signal n. `concur pipeline` and `concur coroutine` give the same
 * message for the same failure.
 */
export class StageError extends ConcurError {
  constructor(
    message: string,
    readonly stage: StageRef,
    readonly line: number | null,
    options: { exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, options.exitCode ?? ExitCode.failure, 'ESTAGE', { cause: options.cause });
  }

  /** This error as the `error` field of a `--json` summary, the same for pipeline and coroutine. */
  toRecord(): { stage: number; module: string; line: number | null; message: string } {
    return { stage: this.stage.index + 1, module: this.stage.name, line: this.line, message: this.message };
  }

  /** The stage's own code failed on `line` (text `text`), or in flush() when `line` is null. */
  static failed(stage: StageRef, line: number | null, text: string, cause: unknown): StageError {
    return new StageError(failureMessage(stage, line, text, reasonOf(cause)), stage, line, { cause });
  }
}

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
 * Load a module by built-in name, path or file: URL, and check its shape. Any form loads: an ES module (`.mjs`,
 * or `.js` in a "type": "module" package, or `.js` in a CommonJS package: see esm-hooks.ts) or CommonJS
 * (`.cjs`, or `.js` with `module.exports = function`). Any problem (missing file, syntax error, no default
 * function, still loading after `timeoutMs`) is a UsageError (exit 2) whose one line says how to fix it.
 */
export async function loadStage(
  spec: string,
  cwd = process.cwd(),
  options: LoadOptions = {},
): Promise<Stage> {
  const ms = options.timeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
  if (ms === 0) return loadChecked(spec, cwd, options);
  let timer: NodeJS.Timeout | undefined;
  // A timer keeps this process alive, too: without one, a module whose top-level await never settles would
  // leave nothing to wait for, and Node would exit 13 with no message. (setTimeout holds at most ~24.8 days.)
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(loadTimedOut(spec, ms)), Math.min(ms, 2 ** 31 - 1));
  });
  try {
    return await Promise.race([loadChecked(spec, cwd, options), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

let hooksRegistered = false;

// Before importing a user's `.js` file that Node would take for CommonJS but that is written as an ES module,
// register the hooks that load it as one (once per process, and only then: they run on a thread of their own).
function allowModuleSyntax(url: string): void {
  if (hooksRegistered) return;
  const path = fileURLToPath(url);
  if (!path.endsWith('.js') || packageType(path) === 'module') return;
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch {
    return; // import() will say why
  }
  if (!needsModuleFormat(source)) return;
  hooksRegistered = true;
  register('./esm-hooks.js', import.meta.url);
}

// The "type" of the package.json nearest to `path` ('commonjs' when there is none), as Node reads it.
function packageType(path: string): string {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    try {
      const { type } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: unknown };
      return type === 'module' ? 'module' : 'commonjs';
    } catch {
      // no package.json here (or an unreadable one, which Node would also skip): look further up
    }
    if (dirname(dir) === dir) return 'commonjs';
  }
}

async function loadChecked(spec: string, cwd: string, options: LoadOptions): Promise<Stage> {
  const { name, url } = resolveModule(spec, cwd);
  if (!builtins[spec]) allowModuleSyntax(url);
  const importUrl = options.instance ? `${url}?instance=${options.instance}` : url;
  let module: { default?: unknown; flush?: unknown; chunk?: unknown };
  try {
    module = (await import(importUrl)) as typeof module;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UsageError(`cannot load ${spec}: ${reason}`, 'EBADMODULE', { cause: error });
  }
  // CommonJS compiled from ES syntax (`exports.default = fn`, as TypeScript and Babel write it).
  const inner = module.default as { default?: unknown; flush?: unknown; chunk?: unknown } | undefined;
  if (typeof module.default !== 'function' && typeof inner?.default === 'function')
    module = { default: inner.default, flush: inner.flush, chunk: inner.chunk };
  if (typeof module.default !== 'function')
    throw new UsageError(
      `${spec} has no default export function: add \`export default function (line) { return line; }\`.`,
      'EBADMODULE',
    );
  if (module.flush !== undefined && typeof module.flush !== 'function')
    throw new UsageError(`${spec} exports \`flush\`, but it is not a function.`, 'EBADMODULE');
  if (module.chunk !== undefined && typeof module.chunk !== 'function')
    throw new UsageError(`${spec} exports \`chunk\`, but it is not a function.`, 'EBADMODULE');
  const flush = module.flush as Stage['flush'];
  const tag = Object.prototype.toString.call(module.default);
  if (module.chunk !== undefined && tag !== '[object Function]' && tag !== '[object AsyncFunction]')
    throw new UsageError(
      `${spec} exports \`chunk\` beside a generator: a coroutine sees every line, so drop \`chunk\` or make the default export a plain function.`,
      'EBADMODULE',
    );
  if (tag === '[object GeneratorFunction]')
    return { name, url, form: 'generator', ...(await startCoroutine(spec, module.default, flush)) };
  if (tag === '[object AsyncGeneratorFunction]')
    return { name, url, form: 'async-generator', ...(await startCoroutine(spec, module.default, flush)) };
  const chunk = module.chunk as ChunkFunction | undefined;
  return {
    name,
    url,
    form: 'function',
    transform: module.default as StageFunction,
    flush,
    ...(chunk && { chunk }),
  };
}

/**
 * Turn a generator-function stage into transform/flush: create it, prime it, send each line with
 * next(line) and take what it yields; at the end, return() it and collect what its finally blocks yield.
 * A coroutine that finishes early drops every later line (like `head`).
 */
async function startCoroutine(
  spec: string,
  generatorFunction: unknown,
  exportedFlush: Stage['flush'],
): Promise<Pick<Stage, 'transform' | 'flush'>> {
  const create = generatorFunction as () => StageGenerator | AsyncStageGenerator;
  const coroutine = create();
  try {
    await coroutine.next(); // prime: run to the first yield, whose value is not emitted
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${spec} threw while starting (before its first yield): ${reason}`, 'EBADMODULE', {
      cause: error,
    });
  }
  if (Symbol.asyncIterator in coroutine) {
    const asyncCoroutine = coroutine;
    return {
      transform: async (line) => (await asyncCoroutine.next(line)).value ?? undefined,
      flush: async () => {
        const out: string[] = [];
        let step = await asyncCoroutine.return(undefined);
        for (; !step.done; step = await asyncCoroutine.next('')) out.push(...linesOf(step.value));
        out.push(...linesOf(step.value ?? undefined));
        if (exportedFlush) out.push(...linesOf(await exportedFlush()));
        return out;
      },
    };
  }
  const syncCoroutine = coroutine;
  return {
    transform: (line) => syncCoroutine.next(line).value ?? undefined,
    flush: () => {
      const out: string[] = [];
      let step = syncCoroutine.return(undefined);
      for (; !step.done; step = syncCoroutine.next('')) out.push(...linesOf(step.value));
      out.push(...linesOf(step.value ?? undefined));
      if (!exportedFlush) return out;
      const more = exportedFlush();
      return isThenable(more)
        ? more.then((lines) => [...out, ...linesOf(lines)])
        : [...out, ...linesOf(more)];
    },
  };
}

/** True for a promise (or any thenable): the stage answered asynchronously. */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
