// The machine's reference for bench/distributed.bench.js: the least a BullMQ client can do to move the same
// lines through the same Redis. `client` reads stdin, adds each batch of lines as one job (one string), pops
// the batches back from one list and writes them to stdout in order; `worker` takes jobs and pushes each job's
// text back unchanged. No pool processes, no checks, no recovery: what is left is BullMQ and Redis.
//   node bench/distributed-minimal.js worker <redis-url> <queue>
//   node bench/distributed-minimal.js client <redis-url> <queue> <lines-per-job> < input > output
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

const [role, url, queueName, size] = process.argv.slice(2);
const connection = () => new Redis(url, { maxRetriesPerRequest: null });
const results = `mini:${queueName}:results`;

if (role === 'worker') {
  const client = connection();
  const worker = new Worker(
    queueName,
    async (job) => {
      await client.rpush(results, `${job.data.seq}\n${job.data.text}`);
      return 0;
    },
    { connection: connection(), prefix: 'mini', concurrency: 2, removeOnComplete: { count: 0 } },
  );
  await worker.waitUntilReady();
  process.stderr.write('ready\n');
  process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
} else {
  const client = connection();
  const reader = connection();
  const queue = new Queue(queueName, { connection: client, prefix: 'mini' });
  const perJob = Number(size);
  let sent = 0;
  let inputDone = false;
  // Read stdin, cut whole lines into jobs of `perJob` lines, add them; at most 32 jobs out at once.
  let out = 0;
  let wake;
  const adding = (async () => {
    let carry = '';
    let lines = [];
    const flush = async () => {
      while (sent - out >= 32) await new Promise((resolve) => (wake = resolve));
      await queue.add('b', { seq: sent++, text: lines.join('\n') }, { removeOnComplete: true });
      lines = [];
    };
    process.stdin.setEncoding('utf8');
    for await (const chunk of process.stdin) {
      const parts = (carry + chunk).split('\n');
      carry = parts.pop();
      for (const line of parts) {
        lines.push(line);
        if (lines.length === perJob) await flush();
      }
    }
    if (carry !== '') lines.push(carry);
    if (lines.length > 0) await flush();
    inputDone = true;
  })();
  // Pop results, write them in job order.
  const waiting = new Map();
  while (!inputDone || out < sent) {
    const reply = await reader.call('BLMPOP', 1, 1, results, 'LEFT', 'COUNT', 100);
    for (const record of reply?.[1] ?? []) {
      const cut = record.indexOf('\n');
      waiting.set(Number(record.slice(0, cut)), record.slice(cut + 1));
    }
    while (waiting.has(out)) {
      const text = waiting.get(out);
      waiting.delete(out++);
      if (!process.stdout.write(`${text}\n`))
        await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
    wake?.();
  }
  await adding;
  await queue.close();
  client.disconnect();
  reader.disconnect();
}
