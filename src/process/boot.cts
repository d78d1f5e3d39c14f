/**
 * The first code to run in every child concur forks (as CommonJS, so it runs synchronously at start-up).
 *
 * Why: an ES module entry loads asynchronously, and Node reads the IPC channel meanwhile. A message, or the
 * 'disconnect' of a parent that has already died, arriving before the entry has added its listeners would be
 * lost, and a child that missed its parent's death could outlive it. This shim listens at once, holds what
 * arrives, then loads the real entry (argv[2]); lifeline.ts hands the held messages over in order.
 */
// A CommonJS file under verbatimModuleSyntax must use require-style imports.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import url = require('node:url');

interface Held {
  messages: unknown[];
  disconnected: boolean;
  release(): void;
}

const messages: unknown[] = [];
const hold = (message: unknown): void => void messages.push(message);
const held: Held = {
  messages,
  disconnected: false,
  release: () => void process.off('message', hold),
};
process.on('message', hold);
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
