// Event streams (--events, demo --json), Chrome traces (--trace) and terminal timelines (--timeline), driven
// through the built CLI with real processes. Each run is checked against what /proc saw while it ran.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildModel, renderTimeline, type ConcurEvent } from '../../dist/index.js';
import { hasRedisServer, startLocalRedis } from '../../dist/patterns/distributed/local-redis.js';
import type { TraceEvent } from '../../src/trace/chrome.js';
import {
  concur,
  concurCommand,
  descendants,
  inTerminal,
  waitFor,
  waitForLine,
  tempDirs,
} from '../helpers.js';

const tempDir = tempDirs('trace');

const KINDS = ['spawn', 'send', 'receive', 'start', 'end', 'crash', 'restart', 'exit', 'result', 'note'];
const parseEvents = (text: string): ConcurEvent[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ConcurEvent);

// Run concur while watching /proc: every PID that was ever its descendant during the run.
async function runWatching(args: string[], options: Parameters<typeof concur>[1] = {}) {
  const run = concur(args, options);
  const seen = new Set<number>();
  const look = (): void => {
    if (run.pid !== undefined) for (const pid of descendants(run.pid)) seen.add(pid);
  };
  const timer = setInterval(look, 10);
  const result = await run;
  clearInterval(timer);
  return { result, seen, pid: run.pid ?? 0 };
}

// The schema, and the story's consistency: every start has an end, every received message was sent (by the
// process the receiver names, to the receiver), and message numbers are unique.
function checkStream(events: ConcurEvent[]): void {
  expect(events.length).toBeGreaterThan(0);
  for (const event of events) {
    expect(typeof event.t).toBe('number');
    expect(typeof event.ts).toBe('number');
    expect(event.ts).toBeGreaterThan(1e12); // epoch milliseconds
    expect(event.role).toMatch(/\S/);
    expect(Number.isInteger(event.pid) && event.pid > 0).toBe(true);
    expect(KINDS).toContain(event.kind);
  }
  const open = new Map<string, number>();
  for (const event of [...events].sort((a, b) => a.ts - b.ts)) {
    const key = `${event.pid}/${event.role}/${String(event.data?.task)}/${String(event.data?.span ?? '')}`;
    if (event.kind === 'start') open.set(key, (open.get(key) ?? 0) + 1);
    if (event.kind === 'end') {
      expect(open.get(key) ?? 0, `end without a start: ${JSON.stringify(event)}`).toBeGreaterThan(0);
      open.set(key, (open.get(key) ?? 0) - 1);
    }
  }
  for (const [key, count] of open) expect(count, `start without an end: ${key}`).toBe(0);

  const sends = new Map<number, ConcurEvent>();
  for (const event of events.filter((e) => e.kind === 'send' && typeof e.data?.msg === 'number')) {
    expect(sends.has(event.data?.msg as number)).toBe(false);
    sends.set(event.data?.msg as number, event);
  }
  for (const receive of events.filter((e) => e.kind === 'receive')) {
    const send = sends.get(receive.data?.msg as number);
    expect(send, `received but never sent: ${JSON.stringify(receive)}`).toBeDefined();
    expect(send?.data?.toPid).toBe(receive.pid);
    expect(receive.data?.fromPid).toBe(send?.pid);
    expect(receive.data?.type).toBe(send?.data?.type);
  }
}

// Valid Chrome Trace Event JSON: the object format, typed fields, names for every track, slices that nest on
// each track, and flow arrows whose ends pair up and sit inside a slice of their track.
function checkTrace(text: string): { traceEvents: TraceEvent[]; otherData: Record<string, unknown> } {
  const trace = JSON.parse(text) as { traceEvents: TraceEvent[]; otherData: Record<string, unknown> };
  expect(Array.isArray(trace.traceEvents)).toBe(true);
  const processes = new Map<number, string>();
  const threads = new Set<string>();
  for (const event of trace.traceEvents) {
    expect(typeof event.name).toBe('string');
    expect(['X', 'i', 's', 'f', 'M']).toContain(event.ph);
    expect(Number.isInteger(event.pid)).toBe(true);
    expect(Number.isInteger(event.tid)).toBe(true);
    if (event.ph === 'M') {
      if (event.name === 'process_name') processes.set(event.pid, String(event.args?.name));
      if (event.name === 'thread_name') threads.add(`${event.pid}/${event.tid}`);
      continue;
    }
    expect(typeof event.ts).toBe('number');
    expect(event.ts).toBeGreaterThanOrEqual(0);
    expect(event.ph === 'X' ? event.dur : 0).toBeGreaterThanOrEqual(0); // a slice never ends before it starts
  }
  const body = trace.traceEvents.filter((e) => e.ph !== 'M');
  for (const event of body) {
    expect(processes.has(event.pid), `no process_name for pid ${event.pid}`).toBe(true);
    expect(threads.has(`${event.pid}/${event.tid}`), `no thread_name for ${event.pid}/${event.tid}`).toBe(
      true,
    );
  }

  const tracks = new Map<string, TraceEvent[]>();
  for (const slice of body.filter((e) => e.ph === 'X'))
    tracks.set(`${slice.pid}/${slice.tid}`, [...(tracks.get(`${slice.pid}/${slice.tid}`) ?? []), slice]);
  for (const slices of tracks.values()) {
    const stack: number[] = [];
    for (const slice of [...slices].sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!)) {
      while (stack.length > 0 && stack.at(-1)! <= slice.ts!) stack.pop();
      if (stack.length > 0)
        expect(slice.ts! + slice.dur!, `slice overlaps its parent: ${slice.name}`).toBeLessThanOrEqual(
          stack.at(-1)!,
        );
      stack.push(slice.ts! + slice.dur!);
    }
  }

  const starts = body.filter((e) => e.ph === 's');
  const finishes = new Map(body.filter((e) => e.ph === 'f').map((e) => [e.id, e]));
  expect(finishes.size).toBe(body.filter((e) => e.ph === 'f').length);
  expect(starts.length).toBe(finishes.size);
  for (const start of starts) {
    const finish = finishes.get(start.id);
    expect(finish, `flow ${start.id} has no end`).toBeDefined();
    expect(finish?.cat).toBe(start.cat);
    expect(finish?.name).toBe(start.name);
    expect(finish?.bp).toBe('e');
    expect(finish!.ts!).toBeGreaterThanOrEqual(start.ts!);
    for (const end of [start, finish!]) {
      const enclosing = (tracks.get(`${end.pid}/${end.tid}`) ?? []).some(
        (slice) => slice.ts! <= end.ts! && end.ts! <= slice.ts! + slice.dur!,
      );
      expect(enclosing, `flow ${end.id} (${end.ph}) is not inside a slice of its track`).toBe(true);
    }
  }
  return trace;
}

// The rows of a --timeline chart ("label cells share%") between its title and its time axis, whose "0" marks
// the column where the cells begin. Also checks that every line of the chart fits in `columns`.
function timelineRows(stderr: string, columns = 80): { label: string; cells: string }[] {
  const lines = stripVTControlCharacters(stderr).split(/\r?\n/);
  const title = lines.findIndex((line) => line.startsWith('timeline: '));
  expect(title).toBeGreaterThanOrEqual(0);
  const axis = lines.findIndex((line, i) => i > title && /^ +0 /.test(line));
  expect(axis).toBeGreaterThan(title);
  for (const line of lines.slice(title, axis + 1)) expect(line.length).toBeLessThanOrEqual(columns);
  const start = lines[axis]!.indexOf('0');
  return lines.slice(title + 1, axis).map((line) => ({
    label: line.slice(0, start).trim(),
    cells: line.slice(start, -5),
  }));
}

const busy = (cell: string | undefined): boolean => cell !== undefined && /[#+▁▂▃▄▅▆▇█]/.test(cell);

describe('concur spinner: its events, trace and timeline', () => {
  it('records the parent and its spinner child: real PIDs, paired tasks, every message sent and received', async () => {
    const dir = tempDir();
    const eventsFile = join(dir, 'run.ndjson');
    const traceFile = join(dir, 'run.json');
    const { result, seen, pid } = await runWatching([
      'spinner',
      '--size',
      '3000000',
      '--events',
      eventsFile,
      '--trace',
      traceFile,
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('216816'); // the result alone: nothing of the trace reaches stdout
    const events = parseEvents(readFileSync(eventsFile, 'utf8'));
    checkStream(events);

    const [self] = events;
    expect(self).toMatchObject({ role: 'parent', pid, kind: 'spawn' });
    const spawns = events.filter((e) => e.kind === 'spawn' && e.role === 'spinner');
    expect(spawns).toHaveLength(1);
    expect(spawns[0]?.data?.parentPid).toBe(pid);
    expect(seen.has(spawns[0]!.pid)).toBe(true);
    const child = spawns[0]!.pid;
    expect(events.some((e) => e.kind === 'exit' && e.pid === child)).toBe(true);
    expect(events.filter((e) => e.kind === 'start' && e.pid === pid).map((e) => e.data?.task)).toEqual([
      'count primes',
    ]);
    const received = events.filter((e) => e.kind === 'receive' && e.pid === child).map((e) => e.data?.type);
    expect(received[0]).toBe('start');
    expect(received.at(-1)).toBe('succeed');
    expect(events.some((e) => e.kind === 'receive' && e.pid === pid && e.data?.type === 'stats')).toBe(true);

    const trace = checkTrace(readFileSync(traceFile, 'utf8'));
    const names = trace.traceEvents.filter((e) => e.name === 'process_name');
    expect(names.map((e) => [e.pid, e.args?.name])).toEqual([
      [pid, 'parent'],
      [child, 'spinner'],
    ]);
    expect(trace.traceEvents.some((e) => e.ph === 'X' && e.name === 'count primes' && e.pid === pid)).toBe(
      true,
    );
    expect(trace.traceEvents.filter((e) => e.ph === 's').length).toBeGreaterThan(2);
    expect(trace.otherData.exitCode).toBe(0);
  });

  it('--timeline: the spinner child keeps turning while the parent computes; --in-process it stalls', async () => {
    const args = ['spinner', '--size', '6000000', '--timeline'];
    const [child, inProcess] = await Promise.all([concur(args), concur([...args, '--in-process'])]);
    for (const run of [child, inProcess]) {
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toBe('412849');
    }
    // While the parent is busy (its '#' columns), how many columns of the spinner's row are busy too?
    const overlapWithParent = (stderr: string, role: RegExp): number => {
      const rows = timelineRows(stderr);
      expect(rows).toHaveLength(2);
      const parent = rows.find((row) => row.label.startsWith('parent '))!;
      const spinner = rows.find((row) => role.test(row.label))!;
      expect(parent).toBeDefined();
      expect(spinner).toBeDefined();
      const parentBusy = [...parent.cells].flatMap((cell, i) => (cell === '#' ? [i] : []));
      expect(parentBusy.length).toBeGreaterThan(10);
      return parentBusy.filter((i) => busy(spinner.cells[i])).length / parentBusy.length;
    };
    expect(overlapWithParent(child.stderr, /^spinner \d+$/)).toBeGreaterThan(0.3);
    expect(overlapWithParent(inProcess.stderr, /^spinner \(in-process\)/)).toBe(0);
  });

  it('draws within the terminal width, in colour on a terminal and without colour under NO_COLOR', async () => {
    const command = concurCommand(['spinner', '--size', '2000000', '--no-spinner', '--timeline']);
    const run = await inTerminal(`stty cols 50; ${command}`);
    const screen = String(run.stdout);
    expect(screen).toMatch(/\u001b\[3\dm/);
    const rows = timelineRows(screen, 50);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.label).toMatch(/^parent \d+$/);
    expect(rows[0]?.cells).toMatch(/^[─▁▂▃▄▅▆▇█]+$/);

    const plain = await inTerminal(command, { NO_COLOR: '1' });
    expect(String(plain.stdout)).not.toMatch(/\u001b\[3\dm/);
  });
});

describe('concur fan-out: its events, trace and timeline', () => {
  it('-j 2: two worker tracks that overlap in time; --json keeps meaning the results', async () => {
    const dir = tempDir();
    const eventsFile = join(dir, 'run.ndjson');
    const traceFile = join(dir, 'run.json');
    const input = Array.from({ length: 24 }, (_, i) => String(300_000 + i * 1000)).join('\n');
    const { result, seen, pid } = await runWatching(
      [
        'fan-out',
        '-j',
        '2',
        '--worker',
        'count-primes',
        '--json',
        '--events',
        eventsFile,
        '--trace',
        traceFile,
        '--timeline',
      ],
      { input },
    );
    expect(result.exitCode).toBe(0);
    const outputs = result.stdout
      .split('\n')
      .map((line) => JSON.parse(line) as { index: number; pid: number; kind?: string });
    expect(outputs).toHaveLength(24);
    for (const output of outputs) expect(output.kind).toBeUndefined();

    const events = parseEvents(readFileSync(eventsFile, 'utf8'));
    checkStream(events);
    const workers = events.filter((e) => e.kind === 'spawn' && /^worker \d$/.test(e.role));
    expect(workers.map((e) => e.role).sort()).toEqual(['worker 1', 'worker 2']);
    for (const worker of workers) {
      expect(worker.data?.parentPid).toBe(pid);
      expect(seen.has(worker.pid)).toBe(true);
      expect(events.some((e) => e.kind === 'exit' && e.pid === worker.pid)).toBe(true);
    }
    // The PIDs the pool reported with each result are the PIDs in the events.
    expect(new Set(outputs.map((o) => o.pid))).toEqual(new Set(workers.map((w) => w.pid)));

    // Real parallelism: some batch of worker 1 overlaps some batch of worker 2.
    const model = buildModel(events, {
      from: events[0]!.ts,
      to: events.at(-1)!.ts,
      self: { role: 'parent', pid },
    });
    const spans = (role: string) => model.lives.filter((l) => l.role === role).flatMap((l) => l.spans);
    const overlapping = spans('worker 1').some((a) =>
      spans('worker 2').some((b) => a.from < b.to && b.from < a.to),
    );
    expect(overlapping).toBe(true);

    const trace = checkTrace(readFileSync(traceFile, 'utf8'));
    const names = new Map(
      trace.traceEvents.filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args?.name]),
    );
    for (const worker of workers) expect(names.get(worker.pid)).toBe(worker.role);
    expect(trace.traceEvents.filter((e) => e.ph === 'X' && e.name === 'batch').length).toBeGreaterThanOrEqual(
      2,
    );

    // One row per process: concur, the guardian it starts for guarded children (see README), the workers.
    const guardian = events.find((e) => e.kind === 'spawn' && e.role === 'guardian')!;
    expect(seen.has(guardian.pid)).toBe(true);
    const rows = timelineRows(result.stderr);
    expect(rows.map((row) => row.label)).toEqual([
      `parent ${pid}`,
      `guardian ${guardian.pid}`,
      `worker 1 ${workers.find((w) => w.role === 'worker 1')!.pid}`,
      `worker 2 ${workers.find((w) => w.role === 'worker 2')!.pid}`,
    ]);
    const [, , one, two] = rows;
    const both = [...one!.cells].filter((cell, i) => busy(cell) && busy(two!.cells[i])).length;
    expect(both).toBeGreaterThan(3);
  });

  it('Ctrl-C mid-run: exit 130, and the trace is complete, valid JSON', async () => {
    const dir = tempDir();
    const eventsFile = join(dir, 'run.ndjson');
    const traceFile = join(dir, 'run.json');
    const input = Array.from({ length: 6 }, (_, i) => `5000:${i}`).join('\n');
    const run = concur(
      ['fan-out', '-j', '2', '--worker', fixtureSleep(), '--events', eventsFile, '--trace', traceFile],
      {
        input,
      },
    );
    // The events file is written as the run goes: wait until both workers have a batch.
    await waitFor(
      () => {
        try {
          return (
            parseEvents(readFileSync(eventsFile, 'utf8')).filter(
              (e) => e.kind === 'send' && e.data?.type === 'batch',
            ).length >= 2
          );
        } catch {
          return false;
        }
      },
      10_000,
      'two batches sent',
    );
    run.kill('SIGINT');
    const result = await run;
    expect(result.exitCode).toBe(130);
    expect(result.stdout).toBe('');
    const trace = checkTrace(readFileSync(traceFile, 'utf8'));
    expect(trace.otherData.exitCode).toBe(130);
    const names = trace.traceEvents.filter((e) => e.name === 'process_name').map((e) => e.args?.name);
    expect(names).toEqual(['parent', 'guardian', 'worker 1', 'worker 2']);
    // The batches were cut short: their slices are marked unfinished, not dropped.
    expect(trace.traceEvents.some((e) => e.ph === 'X' && e.cat === 'process' && e.name === 'worker 1')).toBe(
      true,
    );
    checkStream(parseEvents(readFileSync(eventsFile, 'utf8')));
  });
});

const fixtureSleep = (): string => new URL('../fixtures/sleep.js', import.meta.url).pathname;

describe('demos: --json is the event stream', () => {
  it('demo spinner --json prints exactly the events --events writes, and nothing else', async () => {
    const dir = tempDir();
    const eventsFile = join(dir, 'run.ndjson');
    const json = await concur(['demo', 'spinner', '--size', '500000', '--json', '--events', eventsFile]);
    expect(json.exitCode).toBe(0);
    const fromStdout = parseEvents(json.stdout);
    checkStream(fromStdout);
    expect(fromStdout).toEqual(parseEvents(readFileSync(eventsFile, 'utf8')));
    expect(fromStdout.filter((e) => e.kind === 'result')).toHaveLength(2);

    const plain = await concur([
      'demo',
      'spinner',
      '--size',
      '500000',
      '--timeline',
      '--trace',
      join(dir, 't.json'),
    ]);
    expect(plain.exitCode).toBe(0);
    expect(plain.stdout.split('\n')).toEqual(['primes below 500000: 41538', 'primes below 250000: 22044']);
    expect(timelineRows(plain.stderr).map((row) => row.label.replace(/ [\d,…]+$/, ''))).toEqual([
      'parent',
      'spinner',
      'spinner (in-process)',
    ]);
  });
});

describe('options and errors', () => {
  it('every command and demo takes --events, --trace and --timeline', async () => {
    const help = await concur(['--help']);
    const section = help.stdout.slice(help.stdout.indexOf('Commands:'));
    const commands = [...section.slice(0, section.indexOf('\n\n')).matchAll(/^ {2}([a-z][a-z-]*) /gm)]
      .map((m) => m[1]!)
      .filter((c) => c !== 'help');
    expect(commands).toContain('spinner');
    const demos = (await concur(['demo'])).stdout.split('\n').map((line) => ['demo', line.split('\t')[0]!]);
    const all = [...commands.map((c) => [c]), ...demos];
    const helps = await Promise.all(all.map((args) => concur([...args, '--help'])));
    for (const [i, run] of helps.entries()) {
      expect(run.exitCode, all[i]!.join(' ')).toBe(0);
      for (const option of ['--events <file>', '--trace <file>', '--timeline'])
        expect(run.stdout).toContain(option);
    }
  });

  it('a trace file that cannot be written is a usage error, before any work', async () => {
    const run = await concur(['spinner', '--size', '1000', '--trace', '/nonexistent-dir/t.json']);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/cannot write the --trace file '\/nonexistent-dir\/t.json' \(ENOENT\)/);
  });
});

describe('renderTimeline', () => {
  // A worker that crashes and is restarted, beside a parent that is busy at the start.
  const t0 = 1_700_000_000_000;
  const at = (ms: number): number => t0 + ms;
  const events: ConcurEvent[] = [
    { t: 0, ts: at(0), role: 'parent', pid: 10, kind: 'start', data: { task: 'plan' } },
    { t: 0, ts: at(100), role: 'parent', pid: 10, kind: 'end', data: { task: 'plan' } },
    { t: 0, ts: at(0), role: 'worker 1', pid: 11, kind: 'spawn' },
    { t: 0, ts: at(100), role: 'worker 1', pid: 11, kind: 'start', data: { task: 'batch' } },
    { t: 0, ts: at(400), role: 'worker 1', pid: 11, kind: 'end', data: { task: 'batch' } },
    { t: 0, ts: at(500), role: 'worker 1', pid: 11, kind: 'crash', data: { code: 1 } },
    { t: 0, ts: at(700), role: 'worker 1', pid: 12, kind: 'spawn' },
    { t: 0, ts: at(700), role: 'worker 1', pid: 12, kind: 'restart', data: { previousPid: 11 } },
    { t: 0, ts: at(800), role: 'worker 1', pid: 12, kind: 'start', data: { task: 'batch' } },
    { t: 0, ts: at(1000), role: 'worker 1', pid: 12, kind: 'end', data: { task: 'batch' } },
  ];
  const model = buildModel(events, { from: at(0), to: at(1000), self: { role: 'parent', pid: 10 } });

  it('fits any width, one row per role, a restart continuing its row after a crash and dead time', () => {
    for (const columns of [30, 40, 80, 133, 200]) {
      const lines = renderTimeline(model, { columns, color: false, unicode: false });
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(columns);
      expect(lines).toHaveLength(4); // title, 2 rows, axis
      if (columns < 40) continue; // labels are cut short on very narrow terminals
      expect(lines[1]).toMatch(/^parent 10 +[#+]+-+ +10%$/);
      // alive, busy, crash (X), dead (.), then the replacement: idle, busy. Busy 500 of 800 ms alive.
      expect(lines[2]).toMatch(/^worker 1 11,12 +-*[#+]+-*X\.+-*[#+]+ +63%$/);
    }
  });

  it('colours only when asked, and uses block characters on terminals', () => {
    const plain = renderTimeline(model, { columns: 80, color: false, unicode: true }).join('\n');
    expect(plain).not.toContain('\u001b');
    expect(plain).toMatch(/█+/);
    expect(plain).toContain('✕');
    const coloured = renderTimeline(model, { columns: 80, color: true, unicode: true }).join('\n');
    expect(coloured).toContain('\u001b[');
    expect(stripVTControlCharacters(coloured)).toBe(plain);
  });
});

// Run a demo with --events, --trace and --timeline; check the stream and the trace, and hand back all three.
async function tracedDemo(args: string[], options: Parameters<typeof concur>[1] = {}) {
  const dir = tempDir();
  const eventsFile = join(dir, 'run.ndjson');
  const traceFile = join(dir, 'run.json');
  const watched = await runWatching(
    ['demo', ...args, '--events', eventsFile, '--trace', traceFile, '--timeline'],
    options,
  );
  expect(watched.result.exitCode, watched.result.stderr).toBe(0);
  const events = parseEvents(readFileSync(eventsFile, 'utf8'));
  checkStream(events);
  const trace = checkTrace(readFileSync(traceFile, 'utf8'));
  const threadNames = (pid: number): unknown[] =>
    trace.traceEvents.filter((e) => e.name === 'thread_name' && e.pid === pid).map((e) => e.args?.name);
  return { ...watched, events, trace, threadNames, rows: timelineRows(watched.result.stderr) };
}

// The timeline column of an epoch-ms time, from the chart's title ("one column = ...") and the run's start.
function columnOf(stderr: string, events: ConcurEvent[], ts: number): number {
  const title = stripVTControlCharacters(stderr).match(/one column = ([\d.]+) (µs|ms|s)/)!;
  const cellMs = Number(title[1]) * (title[2] === 's' ? 1000 : title[2] === 'µs' ? 0.001 : 1);
  return Math.floor((ts - events[0]!.ts) / cellMs);
}

describe('demo scheduler: each task its own row and track', () => {
  it('tasks spawn and exit (or crash) in concur, run in slices, and wait without being busy', async () => {
    const { result, events, pid, threadNames, trace, rows } = await tracedDemo(['scheduler']);
    expect(result.stdout).toContain("I'm foo 1");
    const spawns = events.filter((e) => e.kind === 'spawn' && / task \d+$/.test(e.role));
    // Tasks are not processes: concur's PID, a role each, per scheduler of the demo.
    expect(spawns.map((e) => e.role)).toEqual(
      expect.arrayContaining(['step 1 task 1', 'step 1 task 2', 'step 3b task 2', 'step 5 task 4']),
    );
    for (const spawn of spawns) {
      expect(spawn.pid).toBe(pid);
      const ends = events.filter((e) => e.role === spawn.role && (e.kind === 'exit' || e.kind === 'crash'));
      expect(ends, spawn.role).toHaveLength(1);
      expect(events.some((e) => e.role === spawn.role && e.kind === 'start' && e.data?.task === 'run')).toBe(
        true,
      );
    }
    // The task that throws "disk on fire" crashed; the one killed by step 2's main exited, killed.
    expect(events.find((e) => e.role === 'step 3b task 2' && e.kind === 'crash')?.data?.error).toMatch(
      /disk on fire/,
    );
    expect(events.find((e) => e.role === 'step 2 task 2' && e.kind === 'exit')?.data?.outcome).toBe('killed');
    // Waits are recorded as waits: sleeping, waiting for a task, for I/O.
    const waits = new Set(
      events.filter((e) => e.kind === 'start' && e.data?.waiting === true).map((e) => String(e.data?.task)),
    );
    for (const wait of ['sleep 30 ms', 'sleep 70 ms', 'wait task 2', 'read wait', 'await'])
      expect(waits).toContain(wait);

    // Perfetto: one thread per task inside concur's process; waits are their own category.
    const names = threadNames(pid);
    expect(names).toContain('parent');
    for (const spawn of spawns) expect(names).toContain(spawn.role);
    expect(trace.traceEvents.some((e) => e.ph === 'X' && e.cat === 'wait' && e.name === 'sleep 70 ms')).toBe(
      true,
    );
    // The timeline: a row per task; the sleeping tickers are idle most of their life.
    expect(rows.map((row) => row.label)).toEqual([
      `parent ${pid}`,
      ...spawns.map((spawn) => `${spawn.role} ${pid}`),
    ]);
    const slow = rows.find((row) => row.label.startsWith('step 4 task 2 '))!;
    expect(slow.cells.split('').filter((cell) => cell === '-').length).toBeGreaterThan(
      slow.cells.split('').filter(busy).length,
    );
  });
});

describe('demo async: the waits, the stall and the spinner child', () => {
  it('the main row is idle while the waits overlap and busy during the CPU block; the spinner keeps going', async () => {
    const { result, events, pid, seen, rows, trace } = await tracedDemo([
      'async',
      '--waits',
      '200',
      '--block',
      '800',
    ]);
    expect(result.stdout).toMatch(/^overlapped: 220 waits/);
    const spanOf = (task: string, nth = 0): [number, number] => {
      const start = events.filter((e) => e.pid === pid && e.kind === 'start' && e.data?.task === task)[nth]!;
      const end = events.filter((e) => e.pid === pid && e.kind === 'end' && e.data?.task === task)[nth]!;
      return [start.ts, end.ts];
    };
    const waits = spanOf('overlapped waits');
    const block = spanOf('CPU block');
    expect(block[1] - block[0]).toBeGreaterThanOrEqual(790);
    expect(events.filter((e) => e.kind === 'start' && e.data?.task === 'CPU block')).toHaveLength(2);
    // The late timers all fire at once, after the block.
    const late = events.filter((e) => e.kind === 'note' && typeof e.data?.lateMs === 'number');
    expect(late.length).toBeGreaterThanOrEqual(50);

    const parent = rows.find((row) => row.label === `parent ${pid}`)!;
    const cells = (from: number, to: number): string[] =>
      [...parent.cells].slice(
        columnOf(result.stderr, events, from) + 1,
        columnOf(result.stderr, events, to) - 1,
      );
    // How many columns the block gets depends on how long the whole run took (a busy machine starts the
    // spinner child slowly); a 800 ms block keeps at least one whole column inside it on any machine.
    const during = cells(...block);
    expect(during.length).toBeGreaterThanOrEqual(1);
    expect(during.every((cell) => cell === '#')).toBe(true);
    expect(cells(...waits).every((cell) => cell === '-')).toBe(true);

    // The spinner child: a real child with its own row, busy (spinning) during the second block.
    const spinner = events.find((e) => e.kind === 'spawn' && e.role === 'spinner')!;
    expect(seen.has(spinner.pid)).toBe(true);
    expect(events.some((e) => e.kind === 'exit' && e.pid === spinner.pid)).toBe(true);
    const spinnerRow = rows.find((row) => row.label === `spinner ${spinner.pid}`)!;
    const second = spanOf('CPU block', 1);
    const from = columnOf(result.stderr, events, second[0]) + 1;
    const to = columnOf(result.stderr, events, second[1]) - 1;
    const spinning = [...spinnerRow.cells].slice(from, to).filter(busy).length;
    expect(spinning / (to - from)).toBeGreaterThan(0.8);
    expect(trace.traceEvents.some((e) => e.ph === 'X' && e.name === 'CPU block' && e.pid === pid)).toBe(true);
  });
});

describe('demo threads and demo shared-memory: threads and processes, each on its own track', () => {
  it('threads: every worker spawns, counts its chunks (paired job and result messages) and exits', async () => {
    const { events, pid, seen, threadNames, rows } = await tracedDemo([
      'threads',
      '--workers',
      '2',
      '--size',
      '300000',
      '--chunks',
      '6',
    ]);
    const spawns = events.filter((e) => e.kind === 'spawn' && /^(thread|process) \d+$/.test(e.role));
    expect(spawns.map((e) => e.role.split(' ')[0])).toEqual(['thread', 'thread', 'process', 'process']);
    // Threads live in concur's process; the forked workers are real children.
    expect(spawns.slice(0, 2).map((e) => e.pid)).toEqual([pid, pid]);
    expect(spawns.slice(2).map((e) => seen.has(e.pid))).toEqual([true, true]);
    for (const spawn of spawns) {
      expect(events.some((e) => e.kind === 'exit' && e.role === spawn.role && e.pid === spawn.pid)).toBe(
        true,
      );
    }
    for (const kind of ['thread', 'process']) {
      const chunks = events.filter(
        (e) => e.kind === 'start' && e.data?.task === 'chunk' && e.role.startsWith(kind),
      );
      expect(chunks.map((e) => e.data?.id).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    }
    expect(events.filter((e) => e.kind === 'receive' && e.data?.type === 'result')).toHaveLength(12);
    expect(events.some((e) => e.kind === 'start' && e.pid === pid && e.data?.task === 'count alone')).toBe(
      true,
    );
    for (const spawn of spawns.filter((s) => s.role.startsWith('thread')))
      expect(threadNames(pid)).toContain(spawn.role);
    expect(rows.map((row) => row.label.replace(/ \d+$/, ''))).toEqual(
      expect.arrayContaining(['parent', ...spawns.map((s) => s.role)]),
    );
  });

  it('shared-memory: each thread counts in one slice; the probe children get the buffer (or not)', async () => {
    const { events, pid, seen, result } = await tracedDemo([
      'shared-memory',
      '--threads',
      '2',
      '--increments',
      '100000',
    ]);
    expect(result.stdout.split('\n')).toHaveLength(6);
    const threads = events.filter((e) => e.kind === 'spawn' && e.role.startsWith('thread '));
    expect(threads.map((e) => e.data?.mode)).toEqual([
      'racy',
      'racy',
      'atomic',
      'atomic',
      'message-each',
      'message-each',
      'message-total',
      'message-total',
    ]);
    for (const thread of threads) {
      expect(thread.pid).toBe(pid);
      const mine = events.filter((e) => e.role === thread.role);
      expect(mine.map((e) => e.kind)).toEqual(['spawn', 'start', 'end', 'exit']);
      expect(mine[1]?.data?.task).toBe('count');
    }
    const probes = events.filter((e) => e.kind === 'spawn' && e.role.startsWith('probe '));
    expect(probes.map((e) => e.role)).toEqual(['probe (json)', 'probe (advanced)']);
    for (const probe of probes) {
      expect(seen.has(probe.pid)).toBe(true);
      expect(events.some((e) => e.kind === 'exit' && e.pid === probe.pid)).toBe(true);
    }
    // JSON serialization delivers (a copy of nothing); advanced serialization refuses to send.
    expect(events.filter((e) => e.kind === 'receive' && e.data?.type === 'probe').map((e) => e.pid)).toEqual([
      probes[0]!.pid,
    ]);
  });
});

// The coordinator's batches, each sent to the host that ran it and answered: hosts by name, with their PIDs.
function checkBatches(events: ConcurEvent[], hosts: Map<string, number>, coordinator: number): void {
  const sends = events.filter((e) => e.kind === 'send' && e.data?.type === 'batch');
  expect(sends.length).toBeGreaterThan(2);
  for (const send of sends) {
    expect(send.pid).toBe(coordinator);
    expect(hosts.get(String(send.data?.to))).toBe(send.data?.toPid);
    const host = { role: String(send.data?.to), pid: Number(send.data?.toPid) };
    const ran = (kind: string): ConcurEvent | undefined =>
      events.find(
        (e) =>
          e.kind === kind && e.role === host.role && e.pid === host.pid && e.data?.jobId === send.data?.jobId,
      );
    expect(ran('receive')?.data?.msg).toBe(send.data?.msg);
    expect(ran('start')?.data?.task).toBe('batch');
    expect(ran('end')).toBeDefined();
    expect(ran('send')?.data?.type).toBe('results');
  }
}

describe.skipIf(!hasRedisServer())('distributed: batches to hosts, hosts on tracks of their own', () => {
  it('demo distributed: both hosts run batches; the one killed mid-run crashes', async () => {
    const { events, pid, seen, trace, rows } = await tracedDemo(['distributed', '--items', '120'], {
      timeout: 90_000,
    });
    const spawns = events.filter((e) => e.kind === 'spawn' && e.data?.host === true);
    expect(spawns.map((e) => e.role)).toEqual(['host-a', 'host-b']);
    for (const spawn of spawns) expect(seen.has(spawn.pid)).toBe(true);
    const hosts = new Map(spawns.map((e) => [e.role, e.pid]));
    checkBatches(events, hosts, pid);
    for (const host of hosts.keys())
      expect(events.some((e) => e.kind === 'start' && e.role === host && e.data?.task === 'batch')).toBe(
        true,
      );
    expect(events.find((e) => e.role === 'host-b' && e.kind === 'crash')?.data?.signal).toBe('SIGKILL');
    expect(events.find((e) => e.role === 'host-a' && (e.kind === 'exit' || e.kind === 'crash'))?.kind).toBe(
      'exit',
    );
    const redis = events.find((e) => e.kind === 'spawn' && e.role === 'redis-server')!;
    expect(seen.has(redis.pid)).toBe(true);
    const names = trace.traceEvents.filter((e) => e.name === 'process_name').map((e) => e.args?.name);
    expect(names).toEqual(expect.arrayContaining(['parent', 'redis-server', 'host-a', 'host-b']));
    expect(trace.traceEvents.some((e) => e.ph === 'f' && e.name === 'batch')).toBe(true);
    expect(rows.find((row) => row.label.startsWith('host-b '))?.cells).toMatch(/X/);
  });

  it('fan-out --broker: each batch goes to the host that ran it, with its PID', async () => {
    const redis = await startLocalRedis({ guard: true });
    const queue = `trace-${process.pid}`;
    const host = concur(['worker', '--broker', redis.url, '--queue', queue, '--name', 'far', '-j', '1'], {
      timeout: 60_000,
    });
    try {
      await waitForLine(host.stderr!, /ready, pulling from queue/, 20_000);
      const dir = tempDir();
      const eventsFile = join(dir, 'run.ndjson');
      const traceFile = join(dir, 'run.json');
      const input = Array.from({ length: 200 }, (_, i) => `item ${i}`).join('\n');
      const running = concur(
        ['fan-out', '--broker', redis.url, '--queue', queue, '--events', eventsFile, '--trace', traceFile],
        { input },
      );
      const run = await running;
      expect(run.exitCode).toBe(0);
      expect(run.stdout.split('\n')).toHaveLength(200);
      const events = parseEvents(readFileSync(eventsFile, 'utf8'));
      checkStream(events);
      checkBatches(events, new Map([['far', host.pid!]]), running.pid!);
      const trace = checkTrace(readFileSync(traceFile, 'utf8'));
      const names = new Map(
        trace.traceEvents.filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args?.name]),
      );
      expect(names.get(host.pid!)).toBe('far');
    } finally {
      host.kill('SIGTERM');
      await host;
      await redis.stop();
    }
  });
});
