/**
 * Where data comes from: stdin, checked before a command reads it. A directory on stdin (`< /`) reads as empty
 * input in Node, which would make a run "succeed" on nothing; concur says so instead, with exit 1 as `cat` does
 * (the shell opened the redirection, so the command line was well-formed: the input is what is wrong).
 */
import { createReadStream, fstatSync } from 'node:fs';
import { InputError } from '../process/errors.js';

/** Throw an InputError (exit 1) when file descriptor `fd` (stdin by default) cannot be read as a stream of data. */
export function checkInput(fd = 0, name = 'stdin'): void {
  let directory = false;
  try {
    directory = fstatSync(fd).isDirectory();
  } catch (error) {
    // A closed descriptor is reopened on /dev/null by Node at start-up; anything else is the input's failure.
    if ((error as NodeJS.ErrnoException).code !== 'EBADF') throw new InputError(name, error);
  }
  if (directory)
    throw new InputError(name, new Error('it is a directory (give a file or a pipe: < file.txt)'));
}

/**
 * Stdin as bytes, for a command that never makes strings of what it reads (fan-out: its workers or hosts do). A
 * file on stdin (`< file`) is read 1 MiB at a time, 16 times what Node's stdin stream reads per trip to the
 * thread pool, so a big read costs no memory beyond itself. A pipe gives what the kernel holds: read as Node does.
 */
export function openStdin(): AsyncIterable<Buffer> {
  try {
    if (fstatSync(0).isFile())
      return createReadStream('', { fd: 0, highWaterMark: 1 << 20, autoClose: false });
  } catch {
    // not a file we can stat: read it as a stream
  }
  return process.stdin;
}
