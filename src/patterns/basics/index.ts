/**
 * `concur-patterns/basics`: multiprocessing's first examples in Node: a child's pid and parent pid, objects
 * copied over the IPC channel, a float and an array shared with a thread. Try: concur demo basics
 */
export { talkToChild, sharedValueAndArray, show, type ChildTalk } from './basics.js';
export type { FromBasicsChild, ToBasicsChild, ValuesData } from './protocol.js';
