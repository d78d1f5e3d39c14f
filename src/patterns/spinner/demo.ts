/**
 * Demo: the spinner process, narrated. Shows the child's PID, every kind of message that crosses the IPC
 * channel, and how many frames the child drew while the parent was blocked; then the in-process
 * counter-example, whose timer cannot fire while the same computation runs.
 * Try: concur demo spinner
 */
import { SpinnerProcess, withInProcessSpinner } from './spinner.js';
import { countPrimes } from '../../work/primes.js';
import type { DemoContext } from '../demo-context.js';

const DEMO_LIMIT = 8_000_000;

export default async function spinnerDemo(context: DemoContext): Promise<number> {
  const limit = context.options.size === undefined ? DEMO_LIMIT : Number(context.options.size);
  const { events } = context;
  const me = process.pid;

  context.step('1. A spinner in a child process');
  context.say(
    `parent ${me} forks a spinner child, then blocks counting primes below ${limit.toLocaleString('en')}.`,
  );
  let updates = 0;
  // The pattern records every message it sends and receives (and the child's spawn and exit) as events.
  const spinner = SpinnerProcess.start({
    text: 'Counting primes…',
    onMessage: (direction, message) => {
      if (message.type === 'update') updates++;
      else if (direction === 'sent') context.say(`  parent → child: ${message.type}`);
      else context.say(`  child → parent: ${message.type}`);
    },
  });
  const childPid = spinner.pid ?? 0;
  context.say(`  spinner child is pid ${childPid}`);

  const started = performance.now();
  events.start(events.self, 'count primes', { limit });
  const count = countPrimes(limit, (fraction) => spinner.update(undefined, fraction));
  const elapsedMs = performance.now() - started;
  events.end(events.self, 'count primes', { count, elapsedMs });
  context.say(
    `  parent was busy for ${(elapsedMs / 1000).toFixed(2)} s and sent ${updates} progress update${updates === 1 ? '' : 's'} meanwhile`,
  );
  const stats = await spinner.finish('succeed', `Computation done in ${(elapsedMs / 1000).toFixed(1)} s`);
  if (stats) {
    const drawn = stats.animated ? 'drew' : 'ticked (stderr is not a terminal, so nothing was drawn)';
    context.say(
      `  the child ${drawn} ${stats.frames} frames; gap between frames p95 ${stats.intervalP95Ms.toFixed(0)} ms; ` +
        `it used ${stats.cpuMs.toFixed(0)} ms of CPU`,
    );
    context.say(`  messages it received: ${summarise(stats.received)}`);
  } else context.say('  the spinner child died early; the parent carried on regardless');
  await context.result(`primes below ${limit}: ${count}`, {
    limit,
    count,
    elapsedMs,
    frames: stats?.frames ?? 0,
  });

  context.step('2. The same spinner on a timer inside the busy parent');
  const small = Math.max(1, Math.floor(limit / 2));
  const inProcess = await withInProcessSpinner(
    () => {
      events.start(events.self, 'count primes', { limit: small });
      const value = countPrimes(small);
      events.end(events.self, 'count primes', { count: value });
      return value;
    },
    { text: 'Counting primes (in-process)…' },
  );
  context.say(
    `  it drew ${inProcess.stats?.frames ?? 0} frame(s) of the ${inProcess.framesDue} due in ` +
      `${(inProcess.elapsedMs / 1000).toFixed(2)} s: a timer cannot fire while the event loop is blocked.`,
  );
  context.say('  That is why the spinner lives in a child: its event loop is its own.');
  await context.result(`primes below ${small}: ${inProcess.value}`, { limit: small, count: inProcess.value });
  return 0;
}

// "start, update ×42, succeed": a compact view of the child's inbox.
function summarise(types: string[]): string {
  const parts: string[] = [];
  for (const type of types) {
    const last = parts.at(-1);
    const match = last?.match(/^(\S+)(?: ×(\d+))?$/);
    if (match && match[1] === type) parts[parts.length - 1] = `${type} ×${Number(match[2] ?? 1) + 1}`;
    else parts.push(type);
  }
  return parts.join(', ');
}
