// The identity stage without its `chunk` export: every line becomes a string and goes through the function,
// as for any module that works on lines. The pipeline bench measures the line machinery with it.
// Try: concur pipeline --stage bench/identity-lines.js < file > /dev/null
export default function identity(line) {
  return line;
}
