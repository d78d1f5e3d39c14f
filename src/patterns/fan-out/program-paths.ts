/**
 * Where a program named without a slash lives, looked up in PATH once per run. Node's spawn searches PATH on
 * every call (one failed exec per directory before the right one); for thousands of short jobs that search is
 * a measurable share of each job's cost. A name that is not found is left as it is, so the spawn itself
 * reports it (ENOENT, exit 127).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Resolves program names against one PATH, remembering each answer. */
export class ProgramPaths {
  private readonly dirs: string[];
  private readonly known = new Map<string, string>();
  private readonly problems = new Map<string, string>();

  constructor(path: string | undefined) {
    this.dirs = (path ?? '').split(delimiter).map((dir) => (dir === '' ? '.' : dir));
  }

  /** The path to run for `name`: itself when it holds a slash or is not found, else the first match. */
  resolve(name: string): string {
    if (name.includes('/') || name === '') return name;
    let file = this.known.get(name);
    if (file === undefined) {
      file =
        this.dirs
          .map((dir) => (dir === '.' ? `./${name}` : join(dir, name)))
          .find((candidate) => fileProblem(candidate) === undefined) ?? name;
      this.known.set(name, file);
    }
    return file;
  }

  /**
   * Throw what spawn would (ENOENT, EACCES, a NUL byte) for a job about to go to a launcher, whose shell would
   * otherwise answer with its own message on the job's stderr. Each file is checked once per run.
   */
  check(file: string, argv: readonly string[]): void {
    if (argv.some((arg) => arg.includes('\0')))
      throw new TypeError('an argument holds a NUL byte, which no program can receive');
    let problem = this.problems.get(file);
    if (problem === undefined) {
      problem = !file.includes('/') ? 'ENOENT' : (fileProblem(file) ?? '');
      this.problems.set(file, problem);
    }
    if (problem !== '')
      throw Object.assign(new Error(`spawn ${file} ${problem}`), { code: problem, path: file });
  }
}

// Why `file` cannot be executed ('ENOENT', 'EACCES'), or undefined when it can.
function fileProblem(file: string): string | undefined {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile() ? undefined : 'EACCES';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'ENOENT' : 'EACCES';
  }
}
