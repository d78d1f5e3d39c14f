/**
 * What must happen before concur exits because stdout can no longer be written (a reader that went away, a full
 * disk): a plain list of handlers. It lives apart from terminal/output.ts, which watches stdout and runs them,
 * so that the process layer (children.ts: "stop the children first") can add to it without loading terminal
 * code into a library user's process.
 */
type Handler = () => void | Promise<unknown>;
let handlers: Handler[] = [];

/** Run `handler` when stdout fails; returns a function that takes it back. */
export function whenStdoutCloses(handler: Handler): () => void {
  handlers.push(handler);
  return () => {
    handlers = handlers.filter((h) => h !== handler);
  };
}

/** How long concur waits for the handlers that clean up elsewhere (a broker's keys) before it exits anyway. */
const CLEANUP_MS = 3000;

/**
 * Run every handler, in the order they were added (output.ts calls this), and resolve once those that clean up
 * asynchronously are done, or after 3 s: a broker that does not answer must not keep concur alive.
 */
export function runStdoutClosedHandlers(): Promise<void> {
  const pending = handlers.map((handler) => Promise.resolve(handler()).catch(() => {}));
  return new Promise((resolve) => {
    setTimeout(resolve, CLEANUP_MS);
    void Promise.all(pending).then(() => resolve());
  });
}
