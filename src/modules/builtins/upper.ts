/** Built-in stage/worker `upper`: the line in upper case. */
import { isAscii } from 'node:buffer';

export default function upper(line: string): string {
  return line.toUpperCase();
}

/**
 * Many lines at once, as bytes. ASCII is upper-cased byte by byte, without strings; other text as one string,
 * which gives what each line would (upper-casing never looks past a character, so never across a \n).
 */
export function chunk(bytes: Buffer): Buffer {
  if (!isAscii(bytes)) return Buffer.from(bytes.toString('utf8').toUpperCase());
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    out[i] = byte - 97 < 26 && byte >= 97 ? byte - 32 : byte;
  }
  return out;
}
