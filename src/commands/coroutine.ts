/**
 * `concur coroutine --stage <module> [--stage ...]`: stdin → each stage, as a chain of coroutines in this one
 * process → stdout. The same stage modules, and the same output, as `concur pipeline`; another environment.
 */
import type { Command } from 'commander';
import type { Stage, StageError } from '../modules/contract.js';
import { UsageError } from '../process/errors.js';
import type { StageCounts } from '../patterns/coroutine/stages.js';
import { parseDuration } from '../options.js';
import { checkInput } from '../terminal/input.js';

// The default of --load-timeout (DEFAULT_LOAD_TIMEOUT_MS in src/modules/contract.ts, loaded only when run).
const LOAD_TIMEOUT_MS = 10_000;

/** Add `concur coroutine` to the program. */
export function registerCoroutine(program: Command): void {
  program
    .command('coroutine')
    .description('run stage modules over stdin as a push pipeline of coroutines, all in one process')
    .option(
      '-s, --stage <module>',
      'a stage: a built-in name or a path to a .js module (repeat, in order)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--json', 'stdout as NDJSON: {"type":"line","text":...} per output line, then one summary record')
    .option(
      '--load-timeout <duration>',
      'give up (exit 2) on a stage module still loading after this long (500ms, 10s, 2m)',
      parseDuration,
      LOAD_TIMEOUT_MS,
    )
    .addHelpText(
      'after',
      `
Examples:
  concur coroutine --stage upper < notes.txt                 every line in upper case
  concur coroutine --stage ./grep.js --stage ./count.js      your own stages, chained
  tail -f app.log | concur coroutine --stage ./errors.js      streams: output follows each input chunk

A stage module's default export takes a line and returns a string (emit it), null/undefined (drop it), an
array of strings (emit each) or a promise of one of these; an optional \`export function flush()\` returns
lines to emit at end of input. Or the default export is a generator function: primed, it receives each
line from \`yield\` and yields that line's output; what it yields in \`finally\` is emitted at the end.
Built-in stages: the same as concur pipeline's. Output: the same bytes as concur pipeline gives for the
same stages and input: each line followed by "\\n", except that when the input's last line has no newline,
what comes of it (and flush()'s lines after it) is "\\n"-separated with no newline after the last.
A stage's console.log and process.stdout.write go to stderr, never into the data.
Exit codes: 0 ok, 1 a stage failed (stage and line named), or stdin could not be read, or stdout could not
be written (a full disk), 2 bad module, a module still loading after --load-timeout, or usage.`,
    )
    .action(async (flags: { stage: string[]; json?: boolean; loadTimeout: number }) => {
      if (flags.stage.length === 0)
        throw new UsageError('give at least one stage: concur coroutine --stage <module> [--stage ...].');
      checkInput();
      const [
        { loadStage, StageError },
        { runStages },
        { writeData, writeLine, isolateUserOutput },
        { hintTerminalInput },
      ] = await Promise.all([
        import('../modules/contract.js'),
        import('../patterns/coroutine/stages.js'),
        import('../terminal/output.js'),
        import('../terminal/stdin-hint.js'),
      ]);
      // The stages run in this process: what they print goes to stderr; the data goes out through writeData.
      isolateUserOutput();
      // Every stage is loaded (and checked) before any input is read, so a bad module costs no data.
      const stages: Stage[] = [];
      for (const [index, spec] of flags.stage.entries())
        stages.push(await loadStage(spec, process.cwd(), { instance: index, timeoutMs: flags.loadTimeout }));
      hintTerminalInput('coroutine');
      const started = performance.now();
      const counts: StageCounts[] = [];
      // --json: each output chunk holds whole lines (the last may lack its \n): one record per line.
      const write = flags.json
        ? (chunk: string) => writeData(records(chunk))
        : (chunk: string) => writeData(chunk);
      const summary = (error?: StageError): string =>
        JSON.stringify({
          type: 'summary',
          ok: error === undefined,
          outputClosed: false,
          elapsedMs: Math.round(performance.now() - started),
          ...(error && { error: error.toRecord() }),
          stages: stages.map((stage, index) => ({
            stage: index + 1,
            module: stage.name,
            pid: process.pid,
            ...counts[index],
          })),
        });
      // One process: the whole push pipeline is one task of the parent's (stages run line by line, in turn).
      const { recorder } = await import('../trace/events.js');
      recorder.start(recorder.self, 'coroutine stages', { stages: flags.stage });
      try {
        await runStages(process.stdin, stages, write, counts);
      } catch (error) {
        if (flags.json && error instanceof StageError) await writeLine(summary(error));
        throw error;
      } finally {
        recorder.end(recorder.self, 'coroutine stages');
      }
      if (flags.json) await writeLine(summary());
    });
}

// NDJSON line records, as `concur pipeline --json` writes them.
function records(chunk: string): string {
  const lines = chunk.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((text) => `${JSON.stringify({ type: 'line', text })}\n`).join('');
}
