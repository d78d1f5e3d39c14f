/**
 * What must happen before concur exits because stdout can no longer be written (a reader that went away, a full
 * disk): a plain list of handlers. It lives apart from terminal/output.ts, which watches stdout and runs them,
 * so that the process layer (children.ts: "stop the children first") can add to it without loading terminal
 * code into a library user's process.
 */
type Handler = () => void;
let handlers: Handler[] = [];

/** Run `handler` when stdout fails; returns a function that takes it back. */
export function whenStdoutCloses(handler: Handler): () => void {
  handlers.push(handler);
  return () => {
    handlers = handlers.filter((h) => h !== handler);
  };
}

/** Run every handler, in the order they were added (output.ts calls this). */
export function runStdoutClosedHandlers(): void {
  for (const handler of handlers) handler();
}
