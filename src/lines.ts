/**
 * Lines from a byte stream, a chunk at a time: each read becomes one array of whole lines, so a consumer pays
 * per read, not per line. UTF-8 characters split across reads are joined first (setEncoding), a line may be
 * any length, and a last line without a newline still counts. The newline itself is not part of a line.
 */

/** Counts kept while reading, for progress displays: lines so far, and whether the input has ended. */
export interface LineCount {
  lines: number;
  ended: boolean;
}

/** Yield the lines of `stream` in chunks (one array per read); `count` is updated as they are read. */
export async function* lineChunks(
  stream: NodeJS.ReadableStream,
  count: LineCount = { lines: 0, ended: false },
): AsyncGenerator<string[]> {
  stream.setEncoding('utf8');
  let carry = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    // Search only the new chunk: a megabyte line arriving in many reads is not rescanned each time.
    const last = chunk.lastIndexOf('\n');
    if (last < 0) {
      carry += chunk;
      continue;
    }
    const lines = (carry + chunk.slice(0, last)).split('\n');
    carry = chunk.slice(last + 1);
    count.lines += lines.length;
    yield lines;
  }
  if (carry !== '') {
    count.lines++;
    yield [carry];
  }
  count.ended = true;
}
