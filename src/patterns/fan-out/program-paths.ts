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

  constructor(path: string | undefined) {
    this.dirs = (path ?? '').split(delimiter).map((dir) => (dir === '' ? '.' : dir));
  }

  /** The path to run for `name`: itself when it holds a slash or is not found, else the first match. */
  resolve(name: string): string {
    if (name.includes('/') || name === '') return name;
    let file = this.known.get(name);
    if (file === undefined) {
      file =
        this.dirs.map((dir) => (dir === '.' ? `./${name}` : join(dir, name))).find(isExecutableFile) ?? name;
      this.known.set(name, file);
    }
    return file;
  }
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
