/**
 * The items of `concur fan-out -- <command>`: one per line of input, or one per NUL-terminated record with
 * `-0` (what `find -print0` and `xargs -0` use, so a file name may hold a newline). Nothing is trimmed: an
 * empty line is an empty item, as in GNU parallel, and a last item without its separator still counts.
 */
import { StringDecoder } from 'node:string_decoder';

/** Yield the items of `stream`, split on `separator` ('\n' or '\0'). */
export async function* inputItems(
  stream: AsyncIterable<Buffer | string>,
  separator: '\n' | '\0' = '\n',
): AsyncGenerator<string> {
  // Characters split across reads are joined by the decoder before any split.
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of stream) {
    const text = carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    const last = text.lastIndexOf(separator);
    if (last < 0) {
      carry = text;
      continue;
    }
    carry = text.slice(last + 1);
    yield* text.slice(0, last).split(separator);
  }
  const rest = carry + decoder.end();
  if (rest !== '') yield rest;
}
