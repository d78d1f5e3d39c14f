/**
 * What the basics demo's child sends its parent, unasked, as soon as it starts: who it is (multiprocessing's
 * `info()`), the docs' first message `[42, null, 'hello']`, and a Map, which only the 'advanced'
 * serialization carries intact. The parent's one message back is `bye`, after which the child leaves.
 * Read it to learn the whole conversation: three messages up, one down.
 * Try: concur demo basics
 */
import { messageGuard } from '../../process/messages.js';

/** Child → parent. */
export type FromBasicsChild =
  | { type: 'info'; title: string; pid: number; ppid: number }
  | { type: 'basic'; value: unknown }
  | { type: 'rich'; value: unknown };

/** Parent → child. */
export type ToBasicsChild = { type: 'bye' };

/** The values thread's start-up data: multiprocessing's Value('d') and Array('i'), in shared memory. */
export interface ValuesData {
  num: SharedArrayBuffer;
  arr: SharedArrayBuffer;
}

export const isFromBasicsChild = messageGuard<FromBasicsChild>(['info', 'basic', 'rich']);
export const isToBasicsChild = messageGuard<ToBasicsChild>(['bye']);
