/**
 * The guardian: an idle child whose only job is to make sure no other child outlives concur.
 *
 * Every child exits when its IPC channel closes (lifeline.ts), but a child busy in a long synchronous
 * computation cannot notice until it yields. The guardian's event loop is always free: when concur dies, even
 * by SIGKILL, it sees the disconnect at once and kills every PID it was told about (SIGTERM, then SIGKILL).
 */
import { isToGuardian } from './guardian-protocol.js';
import { exitWithParent, guard, guardMarked, unguard } from './lifeline.js';
import { receive } from './messages.js';

exitWithParent();
receive(isToGuardian, (message) => {
  switch (message.type) {
    case 'guard':
      guard(message.pid);
      return;
    case 'unguard':
      unguard(message.pid);
      return;
    case 'guard-marked':
      guardMarked(message.mark);
      return;
    default: {
      const unknown: never = message;
      throw new Error(`guardian: unknown message ${JSON.stringify(unknown)}`);
    }
  }
});
