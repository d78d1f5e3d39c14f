/** The CPU-heavy request: Fibonacci the slow way, as in Beazley's aserver.py (fib(n-1) + fib(n-2)). */
export function fib(n: number): number {
  return n <= 2 ? 1 : fib(n - 1) + fib(n - 2);
}
