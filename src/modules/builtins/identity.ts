/** Built-in stage/worker `identity`: every line unchanged (for measuring the machinery itself). */
export default function identity(line: string): string {
  return line;
}
