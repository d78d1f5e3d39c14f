/**
 * `concur-patterns/basics`: multiprocessing's first examples in Node: a child's pid and ppid, a message over
 * IPC (json and advanced serialization), and a shared value and array changed by a thread. Try: concur demo basics
 */
export { talkToChild, sharedValueAndArray, show, type ChildTalk } from './basics.js';
