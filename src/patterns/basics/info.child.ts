/**
 * The basics demo's child: it reports its own process id and its parent's (multiprocessing's `info()`),
 * sends the docs' first message, `[42, null, 'hello']`, then a Map, and waits for `bye` to leave.
 * Use a child like it to see that a forked process is a whole process, and that messages arrive as copies.
 * Try: concur demo basics
 */
import { exitWithParent } from '../../process/lifeline.js';
import { receive, send } from '../../process/messages.js';
import { isToBasicsChild, type FromBasicsChild } from './protocol.js';

const tell = (message: FromBasicsChild): void => send(message);

exitWithParent();
receive(isToBasicsChild, () => process.disconnect?.());
tell({ type: 'info', title: 'function f', pid: process.pid, ppid: process.ppid });
tell({ type: 'basic', value: [42, null, 'hello'] });
tell({ type: 'rich', value: new Map([['answer', 42]]) });
