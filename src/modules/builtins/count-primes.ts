/** Built-in worker `count-primes`: a whole number n in, the number of primes below n out (CPU-bound). */
import { countPrimes } from '../../work/primes.js';
import { wholeNumber } from './number.js';

export default function countPrimesWorker(line: string): string {
  return String(countPrimes(wholeNumber(line)));
}
