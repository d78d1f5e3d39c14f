/**
 * The first code to run in every child concur forks (as CommonJS, so it runs synchronously at start-up).
 *
 * Why: an ES module entry loads asynchronously, and Node reads the IPC channel meanwhile. A message, or the
 * 'disconnect' of a parent that has already died, arriving before the entry has added its listeners would be
 * lost, and a child that missed its parent's death could outlive it. This shim listens at once, holds what
 * arrives, then loads the real entry (argv[2]). Held messages go to the entry's first 'message' listener, in
 * order; lifeline.ts `exitWithParent` learns from here whether the parent has already gone.
 */
// A CommonJS file under verbatimModuleSyntax must use require-style imports.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import url = require('node:url');

interface Held {
  disconnected: boolean;
}

// Hold messages until the entry adds its own 'message' listener, then replay them to it, in order, before any
// message that arrives later (process.nextTick runs before the next I/O callback).
const held: Held = { disconnected: false };
const waiting: unknown[] = [];
const hold = (message: unknown): void => void waiting.push(message);
process.on('message', hold);
process.on('newListener', function replay(event: string | symbol, listener: unknown) {
  if (event !== 'message' || listener === hold) return;
  process.off('newListener', replay);
  process.off('message', hold);
  process.nextTick(() => {
    for (const message of waiting.splice(0)) process.emit('message', message, undefined);
  });
});
process.once('disconnect', () => {
  held.disconnected = true;
});
(globalThis as Record<symbol, unknown>)[Symbol.for('concur.child-boot')] = held;

// argv: [node, boot.cjs, entry, ...args] → [node, entry, ...args], as if the entry had been forked directly.
const entry = process.argv[2];
if (!entry) throw new Error('boot.cjs: no entry module given');
process.argv.splice(1, 2, entry);
import(entry.startsWith('file:') ? entry : url.pathToFileURL(entry).href).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
