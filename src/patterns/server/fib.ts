/**
 * The CPU-heavy request: Fibonacci the slow way, as in Beazley's aserver.py (fib(n-1) + fib(n-2)).
 * It never yields, so it shows what any long computation does to an event loop.
 * Try: concur demo server
 */
export function fib(n: number): number {
  return n <= 2 ? 1 : fib(n - 1) + fib(n - 2);
}
