/** Built-in stage `nonempty`: drops empty and blank lines, keeps the rest unchanged (a filter). */
export default function nonempty(line: string): string | null {
  return line.trim() === '' ? null : line;
}
