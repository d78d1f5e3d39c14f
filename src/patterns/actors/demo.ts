/**
 * Demo: a key-value manager process, several client processes talking to it at once, and the trace of every
 * message (who sent what to whom). The shared counter ends exact, because only the manager touches it.
 * Try: concur demo actors
 */
import type { ProcessRef } from '../../trace/events.js';
import { fileURLToPath } from 'node:url';
import { exitOnSignals } from '../../process/children.js';
import { KvClient, startKvManager } from './actors.js';
import { forkLinked } from '../supervisor/supervisor.js';
import {
  isFromKvClient,
  type FromKvClient,
  type KvReply,
  type KvRequest,
  type ToKvClient,
} from './protocol.js';
import { receiveFrom } from '../../process/messages.js';
import type { DemoContext } from '../demo-context.js';

const clientPath = fileURLToPath(new URL('./kv-client.child.js', import.meta.url));

// A request or reply in a few words: "incr hits +1", "→ 4".
function brief(message: KvRequest | KvReply): string {
  switch (message.type) {
    case 'get':
      return `get ${message.key}`;
    case 'set':
      return `set ${message.key} = ${JSON.stringify(message.value)}`;
    case 'incr':
      return `incr ${message.key} +${message.by}`;
    case 'delete':
      return `delete ${message.key}`;
    case 'keys':
      return 'keys' in message ? `keys ${JSON.stringify(message.keys)}` : 'keys';
    case 'value':
      return JSON.stringify(message.value);
    case 'error':
      return `error: ${message.message}`;
    default: {
      const unknown: never = message;
      return JSON.stringify(unknown);
    }
  }
}

export default async function actorsDemo(context: DemoContext): Promise<number> {
  const clients = (context.options.clients ?? 3) as number;
  const increments = (context.options.increments ?? 3) as number;
  const quiet = context.options.trace === false;
  const { events } = context;
  exitOnSignals();

  context.step('1. A manager process owns the data');
  // Every process by the name messages use; concur itself reads the result as the client "concur".
  const refs = new Map<string, ProcessRef>([['concur', events.self]]);
  const ref = (name: string): ProcessRef => refs.get(name) ?? { role: name, pid: 0 };
  const manager = await startKvManager(({ direction, peer, message }) => {
    const [from, to] = direction === 'in' ? [peer, 'manager'] : ['manager', peer];
    // The manager reports each message as it handles it: sent and received are recorded at that moment.
    events.message(ref(from), ref(to), message.type, { id: message.id, message });
    if (!quiet)
      context.say(`  ${`#${message.id}`.padStart(4)} ${from.padEnd(8)} → ${to.padEnd(8)} ${brief(message)}`);
  });
  const managerPid = manager.process.pid ?? 0;
  refs.set('manager', events.child(manager.process, 'manager', { address: manager.address }));
  context.say(
    `  manager is pid ${managerPid}, listening on ${manager.address.host}:${manager.address.port}; ` +
      'it holds a Map no other process can touch.',
  );

  context.step(`2. ${clients} client processes send requests at the same time`);
  context.say(
    `  each sets greeting:<name>, then increments "hits" ${increments} time(s), waiting for each reply`,
  );
  const started = await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const name = `client-${i + 1}`;
      const args = [name, manager.address.host, String(manager.address.port), String(increments)];
      const child = await forkLinked(clientPath, args, (m) => isFromKvClient(m) && m.type === 'ready');
      refs.set(name, events.child(child, name));
      context.say(`  ${name} is pid ${child.pid}`);
      return { name, child };
    }),
  );
  const done = started.map(
    ({ child }) =>
      new Promise<Extract<FromKvClient, { type: 'done' }>>((resolve, reject) => {
        receiveFrom(child, isFromKvClient, (m) => m.type === 'done' && resolve(m));
        child.once('exit', (code) => reject(new Error(`a client exited (${code}) before it was done`)));
      }),
  );
  context.say('  trace (request id, sender → receiver, message):');
  for (const { child } of started) child.send({ type: 'go' } satisfies ToKvClient, () => {});
  const reports = await Promise.all(done);
  for (const report of reports)
    context.say(
      `  ${report.name} made ${report.requests} requests; the last "hits" it saw was ${report.lastHits}`,
    );

  context.step('3. The final state, read back by concur as one more client');
  const reader = await KvClient.connect(manager.address, 'concur');
  let hits = 0;
  for (const key of await reader.keys()) {
    const value = await reader.get(key);
    if (key === 'hits') hits = Number(value);
    await context.result(`${key} = ${JSON.stringify(value)}`, { key, value });
  }
  reader.close();
  await manager.stop();
  const expected = clients * increments;
  context.say(
    `  hits = ${hits}, expected ${clients} × ${increments} = ${expected}: ` +
      (hits === expected
        ? 'no update lost.\n  Each incr is one message, handled whole before the next, by the only process that owns the counter.'
        : 'UPDATES WERE LOST, which the design should make impossible.'),
  );
  return hits === expected ? 0 : 1;
}
