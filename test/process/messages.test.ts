/**
 * The message seam, in-process: guards built either way accept exactly their protocol's well-formed
 * messages; receiveFrom hands a handler only those and reports a malformed one once per kind; and each
 * protocol's guards accept what its own side sends and refuse the usual mistakes.
 */
import { EventEmitter } from 'node:events';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isNumber, messageGuard, receiveFrom } from '../../src/process/messages.js';
import { isToGuardian } from '../../src/process/guardian-protocol.js';
import {
  isFromSubSupervisor,
  isFromSupervisedWorker,
  isToSupervisedWorker,
} from '../../src/patterns/supervisor/protocol.js';
import {
  isFromKvClient,
  isFromManager,
  isKvReply,
  isKvRequest,
  isToKvClient,
  isToManager,
} from '../../src/patterns/actors/protocol.js';
import { isFromQueueWorker, isToQueueWorker } from '../../src/patterns/queue/protocol.js';
import { isFromCounterThread, isFromProbe, isToProbe } from '../../src/patterns/shared-memory/protocol.js';
import { isFromCpuWorker, isToCpuWorker } from '../../src/patterns/threads/protocol.js';
import { isFromCoroutineChild, isToCoroutineChild } from '../../src/patterns/coroutine/protocol.js';

type Ping = { type: 'ping'; n: number } | { type: 'bye' };

describe('messageGuard', () => {
  const byList = messageGuard<Ping>(['ping', 'bye'], (m) => m.type !== 'ping' || isNumber(m.n));
  const byType = messageGuard<Ping>({ ping: (m) => isNumber(m.n), bye: () => true });

  for (const [name, guard] of [
    ['from a list of types and a field check', byList],
    ['from a check per type', byType],
  ] as const)
    it(name, () => {
      expect(guard({ type: 'ping', n: 1 })).toBe(true);
      expect(guard({ type: 'bye' })).toBe(true);
      expect(guard({ type: 'bye', extra: 'fields are allowed' })).toBe(true);
      for (const bad of [
        { type: 'ping' },
        { type: 'ping', n: '1' },
        { type: 'ping', n: Number.NaN },
        { type: 'pong' },
        { n: 1 },
        { type: 7 },
        null,
        undefined,
        'ping',
        42,
        [],
      ])
        expect(guard(bad), JSON.stringify(bad) ?? String(bad)).toBe(false);
    });

  it('does not take names from Object.prototype for types', () => {
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty'])
      expect(byType({ type }), type).toBe(false);
  });
});

describe('receiveFrom', () => {
  let stderr: string;
  beforeEach(() => {
    stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it('hands the handler well-formed messages only, and reports a malformed one once per kind', () => {
    const guard = messageGuard<Ping>({ ping: (m) => isNumber(m.n), bye: () => true });
    const child = Object.assign(new EventEmitter(), { pid: 4242 });
    const seen: Ping[] = [];
    receiveFrom(child, guard, (message) => seen.push(message));
    for (const value of [
      { type: 'ping', n: 1 },
      { type: 'ping', n: 'two' },
      { type: 'ping', n: 'three' },
      { type: 'shout' },
      'text',
      { type: 'bye' },
    ])
      child.emit('message', value);
    expect(seen).toEqual([{ type: 'ping', n: 1 }, { type: 'bye' }]);
    expect(stripVTControlCharacters(stderr)).toBe(
      'concur: ignored a malformed message from child 4242: {"type":"ping","n":"two"}\n' +
        'concur: ignored a malformed message from child 4242: {"type":"shout"}\n' +
        'concur: ignored a malformed message from child 4242: "text"\n',
    );
  });

  it('names a worker thread by its threadId', () => {
    const guard = messageGuard<Ping>({ ping: (m) => isNumber(m.n), bye: () => true });
    const thread = Object.assign(new EventEmitter(), { threadId: 9 });
    receiveFrom(thread, guard, () => {});
    thread.emit('message', { type: 'nope' });
    expect(stderr).toBe('concur: ignored a malformed message from thread 9: {"type":"nope"}\n');
  });
});

describe("each protocol's guards", () => {
  // [guard, messages its side sends, malformed ones]
  const cases: [string, (value: unknown) => boolean, unknown[], unknown[]][] = [
    [
      'isToGuardian',
      isToGuardian,
      [
        { type: 'guard', pid: 12 },
        { type: 'guard', pid: -1234 },
        { type: 'unguard', pid: 12 },
      ],
      [
        { type: 'guard', pid: 0 },
        { type: 'guard', pid: -1 },
        { type: 'guard', pid: 1 },
        { type: 'guard', pid: 1.5 },
        { type: 'guard' },
      ],
    ],
    [
      'isToSupervisedWorker',
      isToSupervisedWorker,
      [
        { type: 'finish' },
        { type: 'crash', crash: { how: 'exit', code: 3 } },
        { type: 'crash', crash: { how: 'signal', signal: 'SIGKILL' } },
        { type: 'crash', crash: { how: 'throw', message: 'boom' } },
      ],
      [
        { type: 'crash' },
        { type: 'crash', crash: { how: 'exit', code: '3' } },
        { type: 'crash', crash: { how: 'signal', signal: 'SIGSTOP' } },
        { type: 'crash', crash: { how: 'melt' } },
      ],
    ],
    [
      'isFromSupervisedWorker',
      isFromSupervisedWorker,
      [{ type: 'ready', id: 'worker-1', pid: 10 }],
      [{ type: 'ready', id: 'worker-1' }],
    ],
    [
      'isFromSubSupervisor',
      isFromSubSupervisor,
      [
        { type: 'ready', pid: 1, workers: [{ id: 'worker-a', pid: 2 }] },
        { type: 'ready', pid: 1, workers: [] },
      ],
      [
        { type: 'ready', pid: 1 },
        { type: 'ready', pid: 1, workers: [{ id: 'worker-a' }] },
      ],
    ],
    [
      'isKvRequest',
      isKvRequest,
      [
        { type: 'get', id: 1, from: 'c', key: 'k' },
        { type: 'set', id: 2, from: 'c', key: 'k', value: { a: [1, 'two', null, true] } },
        { type: 'incr', id: 3, from: 'c', key: 'hits', by: 1 },
        { type: 'delete', id: 4, from: 'c', key: 'k' },
        { type: 'keys', id: 5, from: 'c' },
      ],
      [
        { type: 'get', id: 1, key: 'k' },
        { type: 'incr', id: 3, from: 'c', key: 'hits' },
        { type: 'set', id: 2, from: 'c', key: 'k' },
        { type: 'keys', id: '5', from: 'c' },
      ],
    ],
    [
      'isKvReply',
      isKvReply,
      [
        { type: 'value', id: 1, value: null },
        { type: 'keys', id: 2, keys: ['a', 'b'] },
        { type: 'error', id: -1, message: 'not JSON' },
      ],
      [
        { type: 'value', id: 1 },
        { type: 'keys', id: 2, keys: [1] },
        { type: 'error', id: 3 },
      ],
    ],
    ['isToManager', isToManager, [{ type: 'stop' }], [{ type: 'start' }]],
    [
      'isFromManager',
      isFromManager,
      [
        { type: 'ready', pid: 1, host: '127.0.0.1', port: 4000 },
        { type: 'trace', direction: 'in', peer: 'c', message: { type: 'keys', id: 1, from: 'c' } },
        { type: 'trace', direction: 'out', peer: 'c', message: { type: 'value', id: 1, value: 3 } },
      ],
      [
        { type: 'ready', pid: 1, host: '127.0.0.1' },
        { type: 'trace', direction: 'in', peer: 'c', message: { type: 'value', id: 1, value: 3 } },
        { type: 'trace', direction: 'sideways', peer: 'c', message: { type: 'keys', id: 1, from: 'c' } },
      ],
    ],
    ['isToKvClient', isToKvClient, [{ type: 'go' }], [{ type: 'stop' }]],
    [
      'isFromKvClient',
      isFromKvClient,
      [
        { type: 'ready', name: 'client-1' },
        { type: 'done', name: 'client-1', requests: 4, lastHits: 9 },
      ],
      [{ type: 'done', name: 'client-1', requests: 4 }],
    ],
    [
      'isToQueueWorker',
      isToQueueWorker,
      [{ type: 'STOP' }, { type: 'task', task: { index: 0, func: 'mul', args: [2, 7], delayMs: 5 } }],
      [
        { type: 'stop' },
        { type: 'task', task: { index: 0, func: 'div', args: [2, 7], delayMs: 5 } },
        { type: 'task', task: { index: 0, func: 'mul', args: [2], delayMs: 5 } },
      ],
    ],
    [
      'isFromQueueWorker',
      isFromQueueWorker,
      [
        { type: 'get', worker: 1 },
        { type: 'result', worker: 1, task: { index: 0, func: 'plus', args: [2, 8], delayMs: 0 }, result: 10 },
      ],
      [{ type: 'get' }, { type: 'result', worker: 1, task: {}, result: 10 }],
    ],
    [
      'isFromCounterThread',
      isFromCounterThread,
      [{ type: 'ready' }, { type: 'add', n: 1 }, { type: 'done', ms: 1.5, startedAt: 1, endedAt: 2 }],
      [{ type: 'add' }, { type: 'done', ms: 1 }],
    ],
    [
      'isToProbe',
      isToProbe,
      [
        { type: 'probe', buffer: {} },
        { type: 'probe', buffer: null },
      ],
      [{ type: 'probe' }],
    ],
    [
      'isFromProbe',
      isFromProbe,
      [{ type: 'ready' }, { type: 'probed', arrivedAs: 'x', wrote: false, at: 1 }],
      [{ type: 'probed', arrivedAs: 'x', wrote: 'no', at: 1 }],
    ],
    [
      'isToCpuWorker',
      isToCpuWorker,
      [{ type: 'stop' }, { type: 'job', id: 0, from: 0, to: 100 }],
      [{ type: 'job', id: 0, from: 0 }],
    ],
    [
      'isFromCpuWorker',
      isFromCpuWorker,
      [
        { type: 'ready', rss: 1e7 },
        { type: 'result', id: 0, count: 25, startedAt: 1, endedAt: 2 },
      ],
      [{ type: 'ready' }, { type: 'result', id: 0, count: 25 }],
    ],
    [
      'isToCoroutineChild',
      isToCoroutineChild,
      [{ type: 'start', pattern: 'python' }, { type: 'send', value: 'a line' }, { type: 'close' }],
      [{ type: 'start' }, { type: 'send', value: 3 }],
    ],
    [
      'isFromCoroutineChild',
      isFromCoroutineChild,
      [
        { type: 'ready', pid: 1 },
        { type: 'output', value: 'x' },
        { type: 'closed', received: 3 },
        { type: 'error', message: 'boom' },
      ],
      [{ type: 'closed' }, { type: 'output' }, { type: 'error', message: 1 }],
    ],
  ];

  for (const [name, guard, good, bad] of cases)
    it(`${name} accepts its messages and refuses malformed ones`, () => {
      for (const message of good) expect(guard(message), JSON.stringify(message)).toBe(true);
      for (const message of [...bad, { type: 'unknown' }, null, 'text'])
        expect(guard(message), JSON.stringify(message)).toBe(false);
    });
});
