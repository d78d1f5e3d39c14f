/**
 * A run as a terminal Gantt chart: one row per process, one column per slice of time, drawn after the run on
 * stderr. Each column shows whether the process was busy (bar height = share of the column spent on tasks),
 * idle (alive, no task), or dead (exited, or crashed and not yet restarted).
 *
 *   parent 4180    ▁─────────────────────────────────────────────────────▁   0%
 *   worker 1 4188  ─▇█████████████████████████▇▆██████████████████······· 93%
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { rowsOf, type Life, type Row, type RunModel } from './model.js';

/** How to draw: the width to fit, and what the terminal allows. */
export interface TimelineOptions {
  /** Total width in characters; every line fits within it. */
  columns: number;
  /** Colour escape codes allowed. */
  color: boolean;
  /** Block characters (▁▂▃▄▅▆▇█); otherwise plain ASCII (# + - . X). */
  unicode: boolean;
}

interface Glyphs {
  levels: string[];
  idle: string;
  dead: string;
  crash: string;
}

const UNICODE: Glyphs = { levels: [...'▁▂▃▄▅▆▇█'], idle: '─', dead: '·', crash: '✕' };
// Plain text for logs and dumb terminals: '+' partly busy, '#' busy at least half the column.
const ASCII: Glyphs = { levels: ['+', '+', '+', '+', '#', '#', '#', '#'], idle: '-', dead: '.', crash: 'X' };

type Cell = { kind: 'none' | 'idle' | 'dead' | 'crash' } | { kind: 'busy'; level: number };

/** Draw the run. Returns the lines (without newlines), each at most `options.columns` characters wide. */
export function renderTimeline(model: RunModel, options: TimelineOptions): string[] {
  const glyphs = options.unicode ? UNICODE : ASCII;
  const ink = new Chalk({ level: options.color ? 1 : 0 });
  const rows = rowsOf(model);
  const labels = rows.map(labelOf);
  const columns = Math.max(30, options.columns);
  const labelWidth = Math.min(Math.max(...labels.map((label) => label.length)), Math.floor(columns * 0.35));
  const width = columns - labelWidth - 6;
  const total = Math.max(model.to - model.from, 0.001);
  const cellMs = total / width;

  const legend =
    `${ink.green(glyphs.levels.at(-1) ?? '')} busy  ${ink.gray(glyphs.idle)} idle  ` +
    `${ink.gray(glyphs.dead)} dead  ${ink.red(glyphs.crash)} crash`;
  const title = `timeline: ${duration(total)}, one column = ${duration(cellMs)}`;
  const plainLegend = `${glyphs.levels.at(-1) ?? ''} busy  ${glyphs.idle} idle  ${glyphs.dead} dead  ${glyphs.crash} crash`;
  const lines = [
    title.length + 2 + plainLegend.length <= columns ? `${title}  ${legend}` : fit(title, columns),
  ];

  for (const [index, row] of rows.entries()) {
    const cells = cellsOf(row, model.from, cellMs, width);
    const bar = draw(cells, glyphs, ink);
    const label = fit(labels[index] ?? '', labelWidth).padEnd(labelWidth);
    lines.push(`${label} ${bar} ${busyShare(row).padStart(4)}`);
  }
  const end = duration(total);
  lines.push(`${' '.repeat(labelWidth)} 0${end.padStart(width - 1)}`);
  return lines;
}

// "worker 1 4188", or "worker 1 4188,4203" when a restart gave the role a new process.
function labelOf(row: Row): string {
  return `${row.role} ${row.lives.map((life) => life.pid).join(',')}`;
}

function cellsOf(row: Row, origin: number, cellMs: number, width: number): Cell[] {
  const cells: Cell[] = [];
  for (let i = 0; i < width; i++) {
    const from = origin + i * cellMs;
    const to = from + cellMs;
    let alive = 0;
    let busy = 0;
    let dead = 0;
    let crashed = false;
    for (const [index, life] of row.lives.entries()) {
      const lived = overlap(life.from, life.to, from, to);
      alive += lived;
      if (lived > 0) for (const [a, b] of busyIntervals(life)) busy += overlap(a, b, from, to);
      // Dead from the end of this life until the next process takes the role (or the run ends).
      if (life.ended !== undefined) {
        const next = row.lives[index + 1];
        dead += overlap(life.to, next ? next.from : Infinity, from, to);
        if (life.ended === 'crash' && life.to >= from && life.to < to) crashed = true;
      }
    }
    if (crashed) cells.push({ kind: 'crash' });
    else if (alive > 0 && busy > 0) {
      const level = Math.min(7, Math.max(0, Math.ceil((busy / alive) * 8) - 1));
      cells.push({ kind: 'busy', level });
    } else if (alive > 0) cells.push({ kind: 'idle' });
    else if (dead > 0) cells.push({ kind: 'dead' });
    else cells.push({ kind: 'none' });
  }
  return cells;
}

// A life's tasks (not its waits) merged into disjoint intervals (nested or overlapping tasks count once), clipped to its life.
const merged = new WeakMap<Life, [number, number][]>();
function busyIntervals(life: Life): [number, number][] {
  const cached = merged.get(life);
  if (cached) return cached;
  const out: [number, number][] = [];
  for (const span of life.spans) {
    // A wait (`waiting: true`: a sleep, a blocked read) is drawn in traces but leaves the process idle.
    if (span.data?.waiting === true) continue;
    const from = Math.max(span.from, life.from);
    const to = Math.min(span.to, life.to);
    if (to <= from) continue;
    const last = out.at(-1);
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  merged.set(life, out);
  return out;
}

// Share of the row's lifetime spent on tasks, as "37%".
function busyShare(row: Row): string {
  let alive = 0;
  let busy = 0;
  for (const life of row.lives) {
    alive += life.to - life.from;
    for (const [a, b] of busyIntervals(life)) busy += b - a;
  }
  return alive > 0 ? `${Math.round((busy / alive) * 100)}%` : '';
}

// Runs of equal cells share one colour escape, so a coloured row stays short.
function draw(cells: Cell[], glyphs: Glyphs, ink: ChalkInstance): string {
  const glyph = (cell: Cell): string =>
    cell.kind === 'busy'
      ? (glyphs.levels[cell.level] ?? '#')
      : cell.kind === 'none'
        ? ' '
        : glyphs[cell.kind];
  const colour = (cell: Cell): ((text: string) => string) =>
    cell.kind === 'busy'
      ? ink.green
      : cell.kind === 'crash'
        ? ink.red.bold
        : cell.kind === 'none'
          ? String
          : ink.gray;
  let out = '';
  let run = '';
  let previous: Cell | undefined;
  for (const cell of cells) {
    if (previous && cell.kind !== previous.kind) {
      out += colour(previous)(run);
      run = '';
    }
    run += glyph(cell);
    previous = cell;
  }
  if (previous) out += colour(previous)(run);
  return out;
}

function overlap(a: number, b: number, from: number, to: number): number {
  return Math.max(0, Math.min(b, to) - Math.max(a, from));
}

// Cut `text` to `width` characters, marking the cut with an ellipsis.
function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** "820 µs", "45 ms", "3.21 s". */
export function duration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}
