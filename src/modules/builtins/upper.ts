/** Built-in stage/worker `upper`: the line in upper case. */
export default function upper(line: string): string {
  return line.toUpperCase();
}
