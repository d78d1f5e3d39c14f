/**
 * Built-in stage `tally`: counts each distinct line and, at the end of input, emits `count<TAB>line` for each,
 * most frequent first (ties in first-seen order), like `sort | uniq -c | sort -rn`. Memory grows with the
 * number of distinct lines, not with the input.
 */
const counts = new Map<string, number>();

export default function tally(line: string): null {
  counts.set(line, (counts.get(line) ?? 0) + 1);
  return null;
}

export function flush(): string[] {
  return [...counts].sort((a, b) => b[1] - a[1]).map(([line, n]) => `${n}\t${line}`);
}
