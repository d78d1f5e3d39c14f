/**
 * `concur pipeline --stage <module> [--stage <module> ...]`: stdin, line by line, through each stage in its own
 * process, in order; the last stage's output on stdout. `--json` turns stdout into NDJSON records (one per
 * output line, then a summary); `--stats` prints each stage's figures on stderr at the end.
 */
import type { Command } from 'commander';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { builtins, DEFAULT_LOAD_TIMEOUT_MS } from '../modules/contract.js';
import { say, writeData, writeLine } from '../terminal/output.js';
import { checkInput } from '../terminal/input.js';
import { hintTerminalInput } from '../terminal/stdin-hint.js';
import type { StageError } from '../modules/contract.js';
import type { PipelineResult } from '../patterns/pipeline/pipeline.js';
import { exitOnSignals } from '../process/children.js';
import { parseDuration } from '../options.js';

interface PipelineFlags {
  stage: string[];
  json?: boolean;
  stats?: boolean;
  loadTimeout: number;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Add `concur pipeline` to the program. */
export function registerPipeline(program: Command): void {
  program
    .command('pipeline')
    .description('stream stdin line by line through stage modules, each in its own process, to stdout')
    .requiredOption(
      '-s, --stage <module>',
      `a stage: a path to a .js module, or a built-in (${Object.keys(builtins).join(', ')}); repeat, in order`,
      collect,
      [],
    )
    .option('--json', 'stdout as NDJSON: {"type":"line","text":...} per output line, then one summary record')
    .option('--stats', 'print lines, bytes, peak memory and CPU of each stage on stderr at the end')
    .option(
      '--load-timeout <duration>',
      'give up (exit 2) on a stage module still loading after this long (500ms, 10s, 2m)',
      parseDuration,
      DEFAULT_LOAD_TIMEOUT_MS,
    )
    .addHelpText(
      'after',
      `
A stage module's default export takes one line (without its newline) and returns a string (emit it),
null/undefined (drop it), an array of strings (emit each), or a promise of one of these. An optional
export flush() returns lines to emit at the end of input (for aggregates such as a count).

Examples:
  concur pipeline --stage upper < notes.txt
  concur pipeline --stage words --stage lower --stage tally < book.txt | head
  concur pipeline --stage ./parse.js --stage ./enrich.js --stats < log.txt > out.txt
  concur pipeline --stage words --stage count --json | jq 'select(.type=="summary")'

Lines are UTF-8 text split on \\n (a \\r stays part of its line). A last line without a newline comes out
without one. A stage's console.log and process.stdout.write go to stderr, never into the data.
Exit codes: 0 done (also when the reader of stdout goes away), 1 a stage failed or ended early (the message
names the stage and the line), or stdin could not be read, or stdout could not be written (a full disk),
2 a module is missing, unusable or still loading after --load-timeout (before any input is read).`,
    )
    .action(async (flags: PipelineFlags) => {
      const { runPipeline, PipelineError } = await import('../patterns/pipeline/pipeline.js');
      checkInput();
      exitOnSignals();
      hintTerminalInput('pipeline');
      const output = flags.json ? jsonLines() : 'inherit';
      let result: PipelineResult;
      try {
        result = await runPipeline(flags.stage, {
          input: 'inherit',
          output,
          loadTimeoutMs: flags.loadTimeout,
        });
      } catch (error) {
        if (error instanceof PipelineError) {
          if (flags.json) await writeLine(JSON.stringify(summary(error.result, error)));
          if (flags.stats) printStats(error.result);
        }
        throw error;
      }
      if (flags.json) await writeLine(JSON.stringify(summary(result)));
      if (flags.stats) printStats(result);
    });
}

// The last stage's output as NDJSON line records, written with stdout's backpressure.
function jsonLines(): Writable {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  const records = (lines: string[]): string =>
    lines.map((text) => `${JSON.stringify({ type: 'line', text })}\n`).join('');
  const send = (text: string, callback: () => void): void => {
    const waiting = text.length > 0 ? writeData(text) : undefined;
    if (waiting) void waiting.then(callback);
    else callback();
  };
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const lines = (carry + decoder.write(chunk)).split('\n');
      carry = lines.pop() ?? '';
      send(records(lines), callback);
    },
    final(callback) {
      const tail = carry + decoder.end();
      send(tail.length > 0 ? records([tail]) : '', callback);
    },
  });
}

// The run's figures as one JSON object (the last record of --json).
function summary(result: PipelineResult, error?: StageError): Record<string, unknown> {
  return {
    type: 'summary',
    ok: error === undefined,
    outputClosed: result.outputClosed,
    elapsedMs: Math.round(result.elapsedMs),
    ...(error && { error: error.toRecord() }),
    stages: result.stages.map((stage) => ({
      stage: stage.index + 1,
      module: stage.name,
      pid: stage.pid,
      ...stage.stats,
      cpuMs: stage.stats && Math.round(stage.stats.cpuMs),
      wallMs: stage.stats && Math.round(stage.stats.wallMs),
      firstInputMs: stage.stats && Math.round(stage.stats.firstInputMs),
      endOfInputMs: stage.stats && Math.round(stage.stats.endOfInputMs),
      exit: stage.exit,
    })),
  };
}

// A small table on stderr: one row per stage.
function printStats(result: PipelineResult): void {
  const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
  const rows = [['stage', 'module', 'pid', 'lines in', 'lines out', 'MB in', 'MB out', 'peak RSS', 'CPU s']];
  for (const stage of result.stages) {
    const s = stage.stats;
    rows.push([
      String(stage.index + 1),
      stage.name,
      String(stage.pid),
      s ? String(s.linesIn) : '-',
      s ? String(s.linesOut) : '-',
      s ? mb(s.bytesIn) : '-',
      s ? mb(s.bytesOut) : '-',
      s ? `${(s.peakRssKb / 1024).toFixed(0)} MiB` : '-',
      s ? (s.cpuMs / 1000).toFixed(2) : '-',
    ]);
  }
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  for (const row of rows) say(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '));
  say(`${(result.elapsedMs / 1000).toFixed(2)} s${result.outputClosed ? ' (output closed early)' : ''}`);
}
