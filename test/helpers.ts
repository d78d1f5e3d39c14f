/**
 * Test helpers: run the built CLI as a user would, in a pipe or in a real pseudo-terminal, and check whether
 * processes are really gone (through /proc, because an unreaped zombie still answers kill(pid, 0)).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The built CLI, as `npx concur` runs it. */
export const concurBin = fileURLToPath(new URL('../bin/concur.js', import.meta.url));
/** A fixture program or module, by file name. */
export const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** A plain environment: no CI, no colour forcing, so each test sets exactly what it means. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { CI: undefined, FORCE_COLOR: undefined, NO_COLOR: undefined, TERM: 'xterm-256color', ...extra };
}

/** What a test may set when running concur: extra environment, stdin text or file, working directory. */
export interface RunOptions {
  env?: Record<string, string | undefined>;
  input?: string | Uint8Array;
  /** 'pipe' to keep stdin open (e.g. to prove concur fails before reading it). */
  stdin?: 'pipe' | 'ignore';
  /** Keep a final newline on stdout (execa strips it by default). */
  stripFinalNewline?: boolean;
  maxBuffer?: number;
  inputFile?: string;
  cwd?: string;
  timeout?: number;
}

// The execa options both runners share: never reject, a timeout, a clean environment.
function runOptions(options: RunOptions) {
  return {
    reject: false,
    extendEnv: true,
    timeout: options.timeout ?? 60_000,
    cwd: options.cwd,
    input: options.input,
    inputFile: options.inputFile,
    maxBuffer: options.maxBuffer,
    ...(options.stdin && options.input === undefined ? { stdin: options.stdin } : {}),
    env: cleanEnv(options.env),
  } as const;
}

/** Run `concur args` with pipes for stdin/stdout/stderr (text); never rejects: check exitCode. */
export function concur(args: string[], options: RunOptions = {}) {
  return execa('node', [concurBin, ...args], {
    ...runOptions(options),
    stripFinalNewline: options.stripFinalNewline,
  });
}

/** Like `concur`, but stdout and stderr are Buffers, byte for byte. */
export function concurBytes(args: string[], options: Omit<RunOptions, 'stripFinalNewline'> = {}) {
  return execa('node', [concurBin, ...args], {
    ...runOptions(options),
    encoding: 'buffer',
    stripFinalNewline: false,
  });
}

/** Quote one argument for sh. */
export const shq = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Run a shell command line inside a real pseudo-terminal (util-linux `script`), 80×24.
 * Returns the running process; its stdout carries everything the terminal showed.
 */
export function inTerminal(commandLine: string, env: Record<string, string | undefined> = {}) {
  return execa('script', ['-qfec', `stty cols 80 rows 24; ${commandLine}`, '/dev/null'], {
    reject: false,
    env: cleanEnv(env),
    extendEnv: true,
    timeout: 60_000,
    stdin: 'pipe',
  });
}

/** The `node bin/concur.js` command line, quoted for a shell. */
export const concurCommand = (args: string[]): string => ['node', concurBin, ...args].map(shq).join(' ');

/**
 * True while `pid` is a live process. A zombie (state Z) or a missing /proc entry counts as dead:
 * orphans on these machines may linger unreaped, and `kill(pid, 0)` would still say "alive".
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Wait until `predicate()` holds, polling every 20 ms; fail after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every descendant PID of `pid`, read from /proc (children, grandchildren, ...). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirProc()) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), entry]);
    } catch {
      // The process ended while we looked.
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const child of children.get(p) ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

import { readdirSync } from 'node:fs';
function readdirProc(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Poll an async condition every 50 ms; fail after `timeoutMs` saying what was awaited. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolve with the first line of `stream` that matches `pattern` (a readiness line); fail after `timeoutMs`. */
export function waitForLine(
  stream: NodeJS.ReadableStream,
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; saw: ${buffer.slice(-500)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer | string): void => {
      buffer += chunk.toString();
      const match = buffer.match(pattern);
      if (match) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(match[0]);
      }
    };
    stream.on('data', onData);
  });
}

/** No ESC byte anywhere: plain text for pipes and files. */
export const hasEscapes = (text: string): boolean => text.includes('\u001b');

/**
 * A `tempDir()` for one test file: each call makes a fresh directory named `concur-<prefix>-…`, and every
 * directory made is removed after each test.
 */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), `concur-${prefix}-`));
    dirs.push(dir);
    return dir;
  };
}

/** One event of a demo's `--json` stream (the fields the tests read). */
export interface DemoEvent {
  role: string;
  pid: number;
  kind: string;
  data?: Record<string, unknown>;
}

/** A `--json` stdout, one event per line. */
export const parseEvents = (stdout: string): DemoEvent[] =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as DemoEvent);

/** Every PID mentioned anywhere in the events (roles' PIDs and PIDs inside data). */
export function pidsIn(events: DemoEvent[]): number[] {
  const pids = new Set<number>();
  const walk = (value: unknown, key = ''): void => {
    if (typeof value === 'number' && key === 'pid' && value > 0) pids.add(value);
    else if (Array.isArray(value)) value.forEach((v) => walk(v));
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, k);
  };
  for (const event of events) walk(event);
  return [...pids];
}

/** Every PID that appears in a run's events is gone (checked in /proc) within 5 s of concur's exit. */
export async function expectNoOrphans(events: DemoEvent[]): Promise<void> {
  const pids = pidsIn(events);
  expect(pids.length).toBeGreaterThan(0);
  await waitFor(() => pids.every((pid) => !isAlive(pid)), 5000, `PIDs ${pids.join(', ')} to exit`);
}

/** Run concur to completion; its output as strings. */
export async function concurText(
  args: string[],
): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  const result = await concur(args);
  return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode };
}

/** The non-empty lines of a text. */
export const nonEmptyLines = (text: string): string[] => text.split('\n').filter(Boolean);
