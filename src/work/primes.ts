/**
 * The built-in CPU-bound computation: count the primes below a limit by trial division.
 * Deliberately plain and synchronous, so it blocks the event loop the way real heavy work does.
 */

/** True when `n` is prime (trial division by 2, then odd numbers up to √n). */
export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/**
 * Count primes below `limit`, calling `onProgress(fraction)` at each whole percent.
 * Progress is reported from inside the blocking loop: messages sent from here still leave the process.
 */
export function countPrimes(limit: number, onProgress?: (fraction: number) => void): number {
  let count = 0;
  const step = Math.max(1, Math.floor(limit / 100));
  let next = step;
  for (let n = 0; n < limit; n++) {
    if (isPrime(n)) count++;
    if (n === next) {
      onProgress?.(n / limit);
      next += step;
    }
  }
  return count;
}

/** A size for `countPrimes` that takes about three seconds on a 2-core machine of 2026. */
export const DEFAULT_PRIME_LIMIT = 16_000_000;
