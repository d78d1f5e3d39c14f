/**
 * Built-in stage `count`: drops every line and, at the end of input, emits how many there were (like `wc -l`,
 * except that a last line without a newline counts too). An aggregate: it needs `flush`.
 */
let lines = 0;

export default function count(): null {
  lines++;
  return null;
}

export function flush(): string {
  return String(lines);
}
