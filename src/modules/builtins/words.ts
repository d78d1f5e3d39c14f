/** Built-in stage `words`: one line in, each of its words out (letters, digits, apostrophes); emits many. */
export default function words(line: string): string[] {
  return line.match(/[\p{L}\p{N}']+/gu) ?? [];
}
