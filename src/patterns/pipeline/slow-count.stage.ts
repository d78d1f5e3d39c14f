/**
 * A deliberately slow last stage for the pipeline demo's backpressure step: it spends about 10 µs of CPU on
 * each line (a stand-in for real work: a database write, a network call), counts it, and says how many at
 * the end. The stages before it can only run as fast as it reads.
 * Use a stage like it to watch backpressure: every stage before it slows to its pace.
 * Try: concur demo pipeline
 */
let count = 0;

export default function slowCount(): null {
  const until = performance.now() + 0.01;
  while (performance.now() < until);
  count++;
  return null;
}

export function flush(): string {
  return String(count);
}
