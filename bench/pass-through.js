// The floor under every Node stage: a process that passes stdin to stdout and does nothing else (no lines).
// Three in a row are the "pass-through ×3" rows of `npm run bench pipeline`.
// Try: node bench/pass-through.js < file > /dev/null
process.stdin.pipe(process.stdout);
