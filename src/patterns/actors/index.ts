/**
 * `concur-patterns/actors`: a manager process owns a key-value store; clients reach it only by request and reply
 * messages (Python's multiprocessing.Manager without proxies; an Erlang process holding state). Try: concur demo
 * actors
 */
export { KvClient, startKvManager, type KvAddress, type KvManager } from './actors.js';
export type {
  KvRequest,
  KvReply,
  KvValue,
  ToManager,
  FromManager,
  ToKvClient,
  FromKvClient,
} from './protocol.js';
