/**
 * The trap_exit step's conversation: a linked process tells concur who it is and who its partner is, and,
 * when it traps exits, hands on the {'EXIT', From, Reason} message its partner's death became.
 */
import { messageGuard } from '../../process/messages.js';

/** Linked process → concur. */
export type FromLinked =
  | { type: 'ready'; pid: number; partner: number }
  /** The partner died and this process trapped it: Erlang's `{'EXIT', From, Reason}`, as text. */
  | { type: 'exit-message'; text: string };

export const isFromLinked = messageGuard<FromLinked>(['ready', 'exit-message']);
