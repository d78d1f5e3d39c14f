/**
 * A pull pipeline: generators chained like Unix pipes, each asking the one before it for the next value
 * (Beazley's "Generator Tricks for Systems Programmers": follow → grep → print, genlog's byte count).
 * Nothing runs until the last stage asks; each value flows through the whole chain before the next is read.
 * Use it to process a stream (a log, a file, lines from a socket) in constant memory.
 * Try: concur demo generators
 */

/** A small web server log, in Apache's common format (the last field is the bytes sent, or '-'). */
export const accessLog: readonly string[] = [
  '81.107.39.38 - - [24/Feb/2008:00:08:59 -0600] "GET /ply/ HTTP/1.1" 200 7587',
  '81.107.39.38 - - [24/Feb/2008:00:08:59 -0600] "GET /favicon.ico HTTP/1.1" 404 133',
  '66.249.72.134 - - [24/Feb/2008:00:09:02 -0600] "GET /python/generators.html HTTP/1.1" 200 24104',
  '81.107.39.38 - - [24/Feb/2008:00:09:03 -0600] "GET /ply/bookplug.gif HTTP/1.1" 200 23903',
  '194.105.57.11 - - [24/Feb/2008:00:10:21 -0600] "GET /python/coroutines.pdf HTTP/1.1" 200 3342167',
  '66.249.72.134 - - [24/Feb/2008:00:11:40 -0600] "GET /robots.txt HTTP/1.1" 304 -',
  '201.9.77.22 - - [24/Feb/2008:00:12:03 -0600] "GET /python/ HTTP/1.1" 200 6142',
];

/**
 * Yield the lines of `log` as they appear (tail -f's role: in the course it polls a growing file;
 * here the "file" is an array, so the demo ends). `onRead` is told about each line read.
 */
export function* follow(
  log: readonly string[],
  onRead: (line: string) => void = () => {},
): Generator<string> {
  for (const line of log) {
    onRead(line);
    yield line;
  }
}

/** Pass on the lines that contain `pattern`. */
export function* grepLines(pattern: string, lines: Iterable<string>): Generator<string> {
  for (const line of lines) if (line.includes(pattern)) yield line;
}

/** The bytes field of each line ('-' counts as 0). */
export function* bytesSent(lines: Iterable<string>): Generator<number> {
  for (const line of lines) {
    const field = line.slice(line.lastIndexOf(' ') + 1);
    yield field === '-' ? 0 : Number(field);
  }
}
