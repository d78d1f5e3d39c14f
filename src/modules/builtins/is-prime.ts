/**
 * Built-in worker `is-prime`: a whole number in, "true" or "false" out, by trial division (src/work/primes.ts).
 * CPU-bound on purpose: 112272535095293 takes about 0.1 s. Anything but a whole number is an error for that line.
 */
import { isPrime } from '../../work/primes.js';
import { wholeNumber } from './number.js';

export default function isPrimeWorker(line: string): string {
  return String(isPrime(wholeNumber(line)));
}
