/**
 * What a host runs, as every result names it: a worker module (its name and the sha256 of its file) or a
 * command template (`command: gzip -c {}`, with the sha256 of the template). The coordinator compares these and
 * stops a run whose hosts disagree (collector.ts): two answers to one question must not mix in one output.
 * Try: concur demo distributed
 */
import { createHash } from 'node:crypto';
import type { ModuleId } from './protocol.js';
import { shellQuote } from '../fan-out/placeholders.js';

const COMMAND = 'command: ';

/** The identity of a command host: its template as typed (`--shell` included) and a digest of it. */
export function commandIdentity(words: readonly string[], shell = false): ModuleId {
  const sha256 = createHash('sha256')
    .update(JSON.stringify({ command: words, shell }))
    .digest('hex');
  // As typed: replacement strings are not quoted, other words as a shell would need them.
  const word = (w: string): string => (/^[\w@%+=:,./{}#-]+$/.test(w) ? w : shellQuote(w));
  const shown = `${shell ? '--shell ' : ''}${words.map(word).join(' ')}`;
  return { name: `${COMMAND}${shown}`, sha256 };
}

/** True when the identity names a command template rather than a module. */
export const isCommand = (id: ModuleId): boolean => id.name.startsWith(COMMAND);

/** The identity in words: `command: gzip -c {}`, or `upper (sha256 0123456789ab)` for a module. */
export function describeWork(id: ModuleId): string {
  return isCommand(id) ? id.name : `${id.name} (sha256 ${id.sha256.slice(0, 12)})`;
}
