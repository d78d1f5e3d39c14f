// The pipeline bench's reference for what a Node stage can reach on this machine: a process that only reads
// stdin, decodes each chunk's whole lines as UTF-8 and splits them into strings, then writes the bytes it read
// on (one write per chunk, no re-encoding), pausing while the pipe is full. No module, no statistics, no line
// rules beyond that. Three in a row are the "split-only ×3" rows of `npm run bench pipeline`.
// Try: node bench/split-lines.js < file > /dev/null
let carry = Buffer.alloc(0);
let lines = 0;
process.stdin.on('data', (chunk) => {
  const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
  const end = bytes.lastIndexOf(10);
  if (end < 0) {
    carry = bytes;
    return;
  }
  lines += bytes.toString('utf8', 0, end).split('\n').length;
  carry = bytes.subarray(end + 1);
  if (!process.stdout.write(bytes.subarray(0, end + 1))) {
    process.stdin.pause();
    process.stdout.once('drain', () => process.stdin.resume());
  }
});
process.stdin.on('end', () => {
  if (carry.length > 0) lines++;
  process.stdout.write(carry);
  process.stderr.write(process.env.SPLIT_LINES_COUNT ? `${lines} lines\n` : '');
});
