/** Built-in stage/worker `lower`: the line in lower case. */
export default function lower(line: string): string {
  return line.toLowerCase();
}
