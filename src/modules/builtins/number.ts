/** The whole number on a line (surrounding spaces allowed), or an error that says what was expected. */
export function wholeNumber(line: string): number {
  const text = line.trim();
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value))
    throw new RangeError(`expected a whole number up to 2^53, got ${JSON.stringify(line.slice(0, 40))}`);
  return value;
}
