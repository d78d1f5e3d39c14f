/**
 * `concur coroutine --stage <module> [--stage ...]`: stdin → each stage, as a chain of coroutines in this one
 * process → stdout. The same stage modules, and the same output, as `concur pipeline`; another environment.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';

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
Built-in stages: identity, upper. Output: each emitted line followed by "\\n".
Exit codes: 0 ok, 1 a stage failed (stage and line named), 2 bad module or usage.`,
    )
    .action(async (flags: { stage: string[] }) => {
      if (flags.stage.length === 0)
        throw new UsageError('give at least one stage: concur coroutine --stage <module> [--stage ...].');
      const [{ loadStage }, { runStages }, { writeData, say, stderrPolicy }] = await Promise.all([
        import('../contract.js'),
        import('../patterns/coroutine-stages.js'),
        import('../output.js'),
      ]);
      // Every stage is loaded (and checked) before any input is read, so a bad module costs no data.
      const stages = [];
      for (const [index, spec] of flags.stage.entries())
        stages.push(await loadStage(spec, process.cwd(), { instance: index }));
      if (process.stdin.isTTY && stderrPolicy.animate)
        say('concur coroutine: reading lines from the terminal; end with Ctrl-D.');
      // One process: the whole push pipeline is one task of the parent's (stages run line by line, in turn).
      const { recorder } = await import('../events.js');
      recorder.start(recorder.self, 'coroutine stages', { stages: flags.stage });
      try {
        await runStages(process.stdin, stages, writeData);
      } finally {
        recorder.end(recorder.self, 'coroutine stages');
      }
    });
}
