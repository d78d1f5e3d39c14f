// The floor under `concur fan-out -j 2`, for bench/fan-out.bench.js: the least a fan-out over two processes can
// do. Read stdin (1 MiB at a time from a file), send batches of whole lines (at most 64 KiB) to two forked
// children over Node's IPC channel, have each split its batch into strings and join them again, and write the
// answers in input order. No retries, no timeouts, no events, no guardian.
//   node bench/fan-out-floor.js < lines.txt > out.txt
import { fork } from 'node:child_process';
import { createReadStream, fstatSync } from 'node:fs';

if (process.argv[2] === 'child') {
  process.on('message', ({ id, bytes }) => {
    const batch = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const end = batch[batch.length - 1] === 10 ? batch.length - 1 : batch.length;
    const lines = batch.toString('utf8', 0, end).split('\n');
    const outputs = new Array(lines.length);
    for (let i = 0; i < lines.length; i++) outputs[i] = lines[i];
    outputs.push('');
    process.send({ id, bytes: Buffer.from(outputs.join('\n')) });
  });
} else {
  const children = [0, 1].map(() => fork(process.argv[1], ['child'], { serialization: 'advanced' }));
  const load = [0, 0];
  const answers = new Map();
  let next = 0;
  let sent = 0;
  let wake;
  for (const [k, child] of children.entries())
    child.on('message', ({ id, bytes }) => {
      load[k]--;
      answers.set(id, bytes);
      while (answers.has(next)) {
        process.stdout.write(answers.get(next));
        answers.delete(next++);
      }
      wake?.();
    });
  const send = async (bytes) => {
    while (load[0] >= 4 && load[1] >= 4) await new Promise((resolve) => (wake = resolve));
    const k = load[0] <= load[1] ? 0 : 1;
    load[k]++;
    children[k].send({ id: sent++, bytes });
  };
  const input = fstatSync(0).isFile()
    ? createReadStream('', { fd: 0, highWaterMark: 1 << 20 })
    : process.stdin;
  let carry = Buffer.alloc(0);
  for await (const read of input) {
    const last = read.lastIndexOf(10);
    if (last < 0) {
      carry = Buffer.concat([carry, read]);
      continue;
    }
    const chunk =
      carry.length > 0 ? Buffer.concat([carry, read.subarray(0, last + 1)]) : read.subarray(0, last + 1);
    carry = read.subarray(last + 1);
    for (let start = 0; start < chunk.length;) {
      let end = chunk.lastIndexOf(10, Math.min(chunk.length, start + 65536) - 1) + 1;
      if (end <= start) end = chunk.indexOf(10, start) + 1;
      await send(chunk.subarray(start, end));
      start = end;
    }
  }
  if (carry.length > 0) await send(carry);
  while (next < sent) await new Promise((resolve) => (wake = resolve));
  for (const child of children) child.disconnect();
}
