/** Built-in stage/worker `identity`: every line unchanged (for measuring the machinery itself). */
export default function identity(line: string): string {
  return line;
}

/** Many lines at once, as bytes: unchanged too, so a pipeline stage passes its input on without decoding it. */
export function chunk(bytes: Buffer): Buffer {
  return bytes;
}
