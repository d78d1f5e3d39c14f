/**
 * `concur demo [name]`: with no name, one `name<TAB>summary` line per pattern (pipe-friendly);
 * with a name, that pattern's narrated demo. Both come from the one registry in src/registry.ts.
 */
import type { Command } from 'commander';
import { UsageError } from '../process/errors.js';
import { writeLine } from '../terminal/output.js';
import { patterns } from '../registry.js';

/** Add `concur demo` and one `concur demo <name>` subcommand per registered pattern. */
export function registerDemo(program: Command): void {
  const names = patterns.map((pattern) => pattern.name).join(', ');
  const demo = program
    .command('demo')
    .description('list the patterns, or run one as a narrated demo (narration on stderr, results on stdout)')
    .argument('[name]', `a pattern: ${names}`)
    .addHelpText(
      'after',
      `
Patterns:
${patterns.map((pattern) => `  ${pattern.name.padEnd(14)}${pattern.summary}`).join('\n')}

Examples:
  concur demo                       list the patterns, one "name<TAB>summary" line each
  concur demo spinner               run the spinner demo
  concur demo spinner --json | jq   the same run as NDJSON events`,
    )
    .action(async (name: string | undefined) => {
      if (name !== undefined)
        throw new UsageError(
          `unknown pattern '${name}'. Choose one of: ${names} (or run 'concur demo' to list them).`,
        );
      for (const pattern of patterns) await writeLine(`${pattern.name}\t${pattern.summary}`);
    });

  for (const pattern of patterns) {
    const sub = demo
      .command(pattern.name)
      .description(pattern.summary)
      .option('--json', 'print the run as NDJSON events on stdout instead of plain results');
    pattern.options?.(sub);
    sub.action(async (options: Record<string, unknown>) => {
      // Loaded when a demo runs: `concur demo` alone (the list) should start fast.
      const { createDemoContext } = await import('../patterns/demo-context.js');
      const code = await pattern.run(createDemoContext(options));
      if (typeof code === 'number' && code !== 0) process.exitCode = code;
    });
  }
}
