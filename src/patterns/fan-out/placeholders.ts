/**
 * GNU parallel's replacement strings, for `concur fan-out -- <command>`: `{}` the item, `{.}` without its
 * extension, `{/}` its basename, `{//}` its directory, `{/.}` basename without extension, `{#}` the job number
 * from 1, `{%}` the job slot. Without any of them the item is appended as the last argument.
 *
 * Without `--shell` each word of the command stays one argument, whatever the item holds: `a b; rm -rf ~` is
 * data, never shell code. With `--shell` the words are joined into one `sh -c` script (as GNU parallel does)
 * and each replacement is quoted for sh, so pipes and redirections in the command work and items stay data.
 * The meanings follow GNU parallel exactly (Perl's File::Basename for `{//}`); tests compare with it.
 */

/** What a job's replacement strings are made from. */
export interface JobFields {
  /** The input item (a line, or a NUL-separated record with -0). */
  item: string;
  /** The job number, from 1, in input order. */
  seq: number;
  /** The slot running the job, from 1 to the number of jobs. */
  slot: number;
}

const PLACEHOLDER = /\{(|\.|\/|\/\/|\/\.|#|%)\}/g;

/** `{.}`: drop the last extension of the last path component (`a/b.tar.gz` → `a/b.tar`, `.bashrc` → ``). */
export const withoutExtension = (path: string): string => path.replace(/\.[^/.]*$/, '');

/** `{/}`: everything after the last slash (`dir/` → ``). */
export const basename = (path: string): string => path.replace(/^[\s\S]*\//, '');

// Perl's fileparse on Unix: the directory part (with its slash, './' when there is none) and the rest.
function fileparse(path: string): [string, string] {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? ['./', path] : [path.slice(0, slash + 1), path.slice(slash + 1)];
}

// Trailing slashes off, keeping at least one character: '/' stays '/'.
const trimSlashes = (dir: string): string => dir.replace(/([\s\S])\/*$/, '$1');

/** `{//}`: the directory, as Perl's File::Basename::dirname gives it (`x` → `.`, `/abs` → `/`, `a/b/` → `a`). */
export function dirname(path: string): string {
  let [dir, base] = fileparse(path);
  dir = trimSlashes(dir);
  if (base === '') {
    [dir, base] = fileparse(dir);
    dir = trimSlashes(dir);
  }
  return dir;
}

/** The value of one replacement string for a job. */
export function replacement(name: string, job: JobFields): string {
  switch (name) {
    case '':
      return job.item;
    case '.':
      return withoutExtension(job.item);
    case '/':
      return basename(job.item);
    case '//':
      return dirname(job.item);
    case '/.':
      return withoutExtension(basename(job.item));
    case '#':
      return String(job.seq);
    case '%':
      return String(job.slot);
    default:
      throw new Error(`unknown replacement string {${name}}`);
  }
}

/** Quote one word for sh: `'…'`, with each `'` written as `'\''`. Plain words stay as they are. */
export function shellQuote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command with its replacement strings found once, ready to expand for each job. */
export interface CommandTemplate {
  /** The command as given, word by word. */
  readonly words: readonly string[];
  /** True when at least one word holds a replacement string; otherwise the item is appended. */
  readonly hasPlaceholder: boolean;
  /** Run through `sh -c` (the words joined by spaces, replacements quoted). */
  readonly shell: boolean;
}

/** Read a command's words once. */
export function compileCommand(words: readonly string[], shell = false): CommandTemplate {
  return { words, shell, hasPlaceholder: words.some((word) => new RegExp(PLACEHOLDER).test(word)) };
}

// Replace every replacement string in `word`, passing each value through `quote`.
function expandWord(word: string, job: JobFields, quote: (value: string) => string): string {
  if (!word.includes('{')) return word;
  return word.replace(PLACEHOLDER, (_, name: string) => quote(replacement(name, job)));
}

const same = (value: string): string => value;

/**
 * The program and arguments to run for one job. Without a shell, each word stays one argument. With a shell,
 * the result is `['sh', '-c', script]`, where the script is the words joined by spaces and every value is
 * quoted for sh.
 */
export function expandCommand(template: CommandTemplate, job: JobFields): [string, ...string[]] {
  if (template.shell) {
    let script = template.words.map((word) => expandWord(word, job, shellQuote)).join(' ');
    if (!template.hasPlaceholder) script += ` ${shellQuote(job.item)}`;
    return ['sh', '-c', script];
  }
  const argv = template.words.map((word) => expandWord(word, job, same));
  if (!template.hasPlaceholder) argv.push(job.item);
  return argv as [string, ...string[]];
}

/** The command line as a shell would show it, for logs (the joblog's Command column) and messages. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 3 && argv[0] === 'sh' && argv[1] === '-c') return argv[2] ?? '';
  return argv.map(shellQuote).join(' ');
}
