/**
 * A worker process for the supervisor demo: it says it is ready, then waits for work it never gets,
 * until the parent tells it to crash (exit code, signal or uncaught error) or to finish. It calls
 * exitWithParent(), its half of the link: when its supervisor dies, so does it.
 * Usage (forked): worker.child.js <id>
 * Try: concur demo supervisor
 */
import { isToSupervisedWorker, type FromSupervisedWorker, type ToSupervisedWorker } from './protocol.js';
import { exitWithParent } from '../../process/lifeline.js';
import { receive, send } from '../../process/messages.js';

const id = process.argv[2] ?? 'worker';

function handle(message: ToSupervisedWorker): void {
  switch (message.type) {
    case 'crash': {
      const { crash } = message;
      if (crash.how === 'exit') process.exit(crash.code);
      if (crash.how === 'signal') process.kill(process.pid, crash.signal);
      // Thrown from a timer, so it is truly uncaught: the process dies with code 1 (see below).
      else
        setTimeout(() => {
          throw new Error(crash.message);
        });
      return;
    }
    case 'finish':
      process.exit(0);
      return;
    default: {
      const unknown: never = message;
      throw new Error(`worker: unknown message ${JSON.stringify(unknown)}`);
    }
  }
}

exitWithParent();
// Node would print the whole stack and exit 1; print one line instead, and exit 1 just the same.
process.on('uncaughtException', (error) => {
  process.stderr.write(`  (${id}: uncaught ${error.name}: ${error.message})\n`);
  process.exit(1);
});
receive(isToSupervisedWorker, handle);
send<FromSupervisedWorker>({ type: 'ready', id, pid: process.pid });
