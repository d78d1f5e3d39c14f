// The black-box demos (supervisor, actors, shared-memory, threads, async, queue) and the Supervisor library,
// driven with real processes. Every run is checked for orphans: each PID that appears in its --json events
// must be gone once concur has exited.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { concur, concurBin, isAlive, waitFor, waitForLine } from '../helpers.js';

interface Event {
  role: string;
  pid: number;
  kind: string;
  data?: Record<string, unknown>;
}

const parse = (stdout: string): Event[] =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Event);

// Every PID mentioned anywhere in the events (roles' PIDs and PIDs inside data).
function pidsIn(events: Event[]): number[] {
  const pids = new Set<number>();
  const walk = (value: unknown, key = ''): void => {
    if (typeof value === 'number' && key === 'pid' && value > 0) pids.add(value);
    else if (Array.isArray(value)) value.forEach((v) => walk(v));
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, k);
  };
  for (const event of events) walk(event);
  return [...pids];
}

async function expectNoOrphans(events: Event[]): Promise<void> {
  const pids = pidsIn(events);
  expect(pids.length).toBeGreaterThan(0);
  await waitFor(() => pids.every((pid) => !isAlive(pid)), 5000, `PIDs ${pids.join(', ')} to exit`);
}

// Run concur to completion; its output as strings.
async function run(
  args: string[],
): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  const result = await concur(args);
  return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode };
}

const lines = (stdout: string): string[] => stdout.split('\n').filter(Boolean);

describe('concur demo (list)', () => {
  it('lists every black-box demo as name<TAB>summary', async () => {
    const { stdout, exitCode } = await run(['demo']);
    expect(exitCode).toBe(0);
    const names = lines(stdout).map((line) => line.split('\t')[0]);
    for (const name of ['supervisor', 'actors', 'shared-memory', 'threads', 'async', 'queue'])
      expect(names).toContain(name);
  });

  it('rejects a bad strategy in one line, exit 2', async () => {
    const { stderr, exitCode } = await run(['demo', 'supervisor', '--strategy', 'one_for_none']);
    expect(exitCode).toBe(2);
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/one_for_one, one_for_all, rest_for_one/);
  });
});

describe('concur demo supervisor', () => {
  it('with Erlang defaults (1 restart in 5 s), a second crash shuts everything down in order, exit 1', async () => {
    const { stdout, stderr, exitCode } = await run(['demo', 'supervisor']);
    expect(exitCode).toBe(1);
    expect(lines(stdout)).toEqual([
      'monitor: sub-supervisor down: killed by SIGKILL',
      'link: worker-a went down with its parent',
      'link: worker-b went down with its parent',
      'started worker-1',
      'started worker-2',
      'started worker-3',
      'down worker-2: exit code 3',
      'restarting worker-2 (one_for_one, because worker-2 went down)',
      'restarted worker-2',
      'down worker-2: exit code 70',
      'intensity exceeded: more than 1 restart(s) in 5 s',
      'stopped worker-3 for shutdown: killed by SIGTERM',
      'stopped worker-1 for shutdown: killed by SIGTERM',
      'supervisor stopped: intensity, 1 restart(s)',
    ]);
    expect(stderr).toMatch(/\{'DOWN', Ref, process, <\d+>, \{signal,'SIGKILL'\}\}/);
    expect(stderr).toMatch(/\{'DOWN', Ref, process, <\d+>, \{exit_code,3\}\}/);
  });

  const restartLines = (stdout: string): string[] => lines(stdout).filter((l) => l.startsWith('restarting '));
  const common = ['--max-restarts', '10', '--seed', '7', '--crashes', '4', '--json'];

  it('one_for_one restarts only the worker that died', async () => {
    const { stdout, exitCode } = await run(['demo', 'supervisor', '--strategy', 'one_for_one', ...common]);
    expect(exitCode).toBe(0);
    const events = parse(stdout);
    const restarts = events.filter((e) => e.data?.type === 'restarting');
    expect(restarts).toHaveLength(4);
    for (const e of restarts) expect(e.data?.ids).toEqual([e.data?.cause]);
    expect(events.some((e) => e.data?.type === 'terminated' && e.data.why === 'strategy')).toBe(false);
    await expectNoOrphans(events);
  });

  it('one_for_all stops the others (last first) and restarts them all', async () => {
    const { stdout, exitCode } = await run(['demo', 'supervisor', '--strategy', 'one_for_all', ...common]);
    expect(exitCode).toBe(0);
    const events = parse(stdout);
    const restarts = events.filter((e) => e.data?.type === 'restarting');
    expect(restarts).toHaveLength(4);
    for (const e of restarts) expect(e.data?.ids).toEqual(['worker-1', 'worker-2', 'worker-3']);
    await expectNoOrphans(events);
  });

  it('rest_for_one restarts the worker that died and the ones started after it', async () => {
    const { stdout, exitCode } = await run(['demo', 'supervisor', '--strategy', 'rest_for_one', ...common]);
    expect(exitCode).toBe(0);
    const result = lines(stdout)
      .map((l) => JSON.parse(l) as Event)
      .filter((e) => e.kind === 'result')
      .map((e) => e.data?.line as string);
    expect(restartLines(result.join('\n'))).toEqual([
      'restarting worker-1, worker-2, worker-3 (rest_for_one, because worker-1 went down)',
      'restarting worker-3 (rest_for_one, because worker-3 went down)',
      'restarting worker-2, worker-3 (rest_for_one, because worker-2 went down)',
      'restarting worker-2, worker-3 (rest_for_one, because worker-2 went down)',
    ]);
    // Siblings are stopped last-started first: worker-3 before worker-2.
    const firstStops = result.filter((l) => l.includes('for strategy')).slice(0, 2);
    expect(firstStops).toEqual([
      'stopped worker-3 for strategy: killed by SIGTERM',
      'stopped worker-2 for strategy: killed by SIGTERM',
    ]);
    expect(result.at(-1)).toBe('supervisor stopped: shutdown, 4 restart(s)');
    await expectNoOrphans(parse(stdout));
  });

  it('a tighter intensity (2 in 5 s) gives up on the third crash, exit 1, no orphans', async () => {
    const { stdout, exitCode } = await run([
      'demo',
      'supervisor',
      '--max-restarts',
      '2',
      '--seed',
      '7',
      '--json',
    ]);
    expect(exitCode).toBe(1);
    const events = parse(stdout);
    expect(events.filter((e) => e.data?.type === 'down')).toHaveLength(3);
    expect(events.some((e) => e.data?.type === 'intensity')).toBe(true);
    const shutdownOrder = events
      .filter((e) => e.data?.type === 'terminated' && e.data.why === 'shutdown')
      .map((e) => e.data?.id);
    expect(shutdownOrder).toEqual(['worker-3', 'worker-1']); // worker-2 died on its own
    await expectNoOrphans(events);
  });

  it('when concur is SIGKILLed, every worker goes down with it (links)', async () => {
    const run = concur(['demo', 'supervisor', '--json', '--max-restarts', '10', '--crashes', '0']);
    const seen: Event[] = [];
    run.stdout?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) seen.push(JSON.parse(line) as Event);
    });
    await waitFor(
      () => seen.some((e) => e.data?.type === 'started' && e.data.id === 'worker-3'),
      10_000,
      'workers',
    );
    const workers = seen.filter((e) => e.data?.type === 'started').map((e) => e.data?.pid as number);
    run.kill('SIGKILL');
    await run;
    await waitFor(() => workers.every((pid) => !isAlive(pid)), 5000, 'workers to die with concur');
  });
});

describe('Supervisor (library) restart types, with real processes', () => {
  it('permanent always restarts; transient only after a crash; temporary never', async () => {
    const { Supervisor, forkLinked } = await import('../../dist/patterns/supervisor/supervisor.js');
    const worker = new URL('../../dist/patterns/supervisor/worker.child.js', import.meta.url).pathname;
    const events: { type: string; id?: string }[] = [];
    const spec = (id: string, restart: 'permanent' | 'transient' | 'temporary') => ({
      id,
      restart,
      start: () => forkLinked(worker, [id], (m) => (m as { type: string }).type === 'ready'),
    });
    const supervisor = new Supervisor(
      [
        spec('perm', 'permanent'),
        spec('trans-ok', 'transient'),
        spec('trans-bad', 'transient'),
        spec('temp', 'temporary'),
      ],
      { maxRestarts: 10, onEvent: (e) => events.push(e) },
    );
    await supervisor.start();
    const tell = (id: string, message: object): void => void supervisor.child(id)?.send(message);
    tell('perm', { type: 'finish' });
    tell('trans-ok', { type: 'finish' });
    tell('trans-bad', { type: 'crash', crash: { how: 'exit', code: 9 } });
    tell('temp', { type: 'crash', crash: { how: 'signal', signal: 'SIGKILL' } });
    await waitFor(() => events.filter((e) => e.type === 'down').length === 4, 5000, 'four DOWNs');
    await supervisor.settled();
    const restarted = events.filter((e) => e.type === 'started').map((e) => e.id);
    expect(restarted.slice(4).sort()).toEqual(['perm', 'trans-bad']);
    expect(
      events
        .filter((e) => e.type === 'not-restarted')
        .map((e) => e.id)
        .sort(),
    ).toEqual(['temp', 'trans-ok']);
    const pids = supervisor.which().map((c) => c.pid);
    expect(pids).toHaveLength(2);
    const exit = await supervisor.stop();
    expect(exit).toEqual({ reason: 'shutdown', restarts: 2 });
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });
});

describe('concur demo actors', () => {
  it('serialises concurrent increments through the manager: none lost', async () => {
    const { stdout, stderr, exitCode } = await run([
      'demo',
      'actors',
      '--clients',
      '4',
      '--increments',
      '25',
    ]);
    expect(exitCode).toBe(0);
    expect(lines(stdout)).toEqual([
      'greeting:client-1 = "hello from client-1"',
      'greeting:client-2 = "hello from client-2"',
      'greeting:client-3 = "hello from client-3"',
      'greeting:client-4 = "hello from client-4"',
      'hits = 100',
    ]);
    expect(stderr).toMatch(/client-\d → manager\s+incr hits \+1/);
    expect(stderr).toMatch(/manager\s+→ client-\d \d+/);
  });

  it('--json traces every message who→whom, and leaves no process behind', async () => {
    const { stdout, exitCode } = await run(['demo', 'actors', '--json']);
    expect(exitCode).toBe(0);
    const events = parse(stdout);
    const sends = events.filter((e) => e.kind === 'send' && e.data?.to !== undefined);
    // 3 clients × (1 set + 3 incr) requests, each with a reply, plus concur's own reads.
    expect(sends.filter((e) => e.role.startsWith('client-')).length).toBe(12);
    expect(sends.filter((e) => e.role === 'manager' && String(e.data?.to).startsWith('client-')).length).toBe(
      12,
    );
    await expectNoOrphans(events);
  });
});

describe('concur demo shared-memory', () => {
  it('loses updates without Atomics (or says it did not), never with them; processes cannot share', async () => {
    const { stdout, stderr, exitCode } = await run(['demo', 'shared-memory', '--json']);
    expect(exitCode).toBe(0);
    const runs = parse(stdout)
      .filter((e) => e.kind === 'result')
      .map((e) => e.data as { mode: string; lost: number; total: number; expected: number });
    const racy = runs.find((r) => r.mode === 'racy');
    expect(racy).toBeDefined();
    if (racy && racy.lost === 0) expect(stderr).toMatch(/This run lost no updates/);
    else expect(racy?.total).toBeLessThan(racy?.expected ?? 0);
    for (const mode of ['atomic', 'message-each', 'message-total']) {
      const run = runs.find((r) => r.mode === mode);
      expect(run?.lost).toBe(0);
      expect(run?.total).toBe(run?.expected);
    }
    const probes = parse(stdout).filter((e) => e.kind === 'note');
    expect(probes.map((e) => e.data?.parentSees)).toEqual([0, 0]);
    expect(probes[1]?.data?.refused).toMatch(/could not be cloned/);
  });

  it('prints one result line per way of counting', async () => {
    const { stdout, exitCode } = await run([
      'demo',
      'shared-memory',
      '--threads',
      '2',
      '--increments',
      '200000',
    ]);
    expect(exitCode).toBe(0);
    const out = lines(stdout);
    expect(out[0]).toMatch(/^racy: expected 400000, got \d+, lost \d+, [\d.]+ ms$/);
    expect(out[1]).toMatch(/^atomic: expected 400000, got 400000, lost 0, /);
    expect(out[2]).toMatch(/^message per increment: expected 40000, got 40000, lost 0, /);
    expect(out[3]).toMatch(/^one message per thread: expected 400000, got 400000, lost 0, /);
    expect(out.slice(4)).toEqual([
      'fork (json): copied, parent still reads 0',
      'fork (advanced): refused, parent still reads 0',
    ]);
  });
});

describe('concur demo threads', () => {
  it('measures threads and processes side by side, both with the right answer, no orphans', async () => {
    const { stdout, exitCode } = await run(['demo', 'threads', '--size', '300000', '--chunks', '8']);
    expect(exitCode).toBe(0);
    const [header, ...rows] = lines(stdout);
    expect(header).toBe('kind\tworkers\tstartup_ms\tmemory_mb\twork_ms\tnumbers_per_s\tprimes');
    expect(rows.map((r) => r.split('\t')[0])).toEqual(['thread', 'process']);
    for (const row of rows) expect(row.split('\t').at(-1)).toBe('25997'); // primes below 300,000
    const json = await run(['demo', 'threads', '--size', '100000', '--json']);
    expect(json.exitCode).toBe(0);
    await expectNoOrphans(parse(json.stdout));
  });
});

describe('concur demo async', () => {
  it('overlaps waits, and shows a blocked loop firing its timers late', async () => {
    const { stdout, exitCode } = await run(['demo', 'async', '--waits', '300', '--block', '300', '--json']);
    expect(exitCode).toBe(0);
    const results = parse(stdout).filter((e) => e.kind === 'result');
    const overlap = results.find((e) => e.data?.step === 'overlap')?.data as {
      sumMs: number;
      wallMs: number;
    };
    expect(overlap.wallMs).toBeLessThan(overlap.sumMs / 10);
    const blocked = results.find((e) => e.data?.step === 'blocked loop')?.data as {
      lateMs: number[];
      firedDuringBlock: number;
    };
    expect(blocked.firedDuringBlock).toBe(0);
    expect(Math.max(...blocked.lateMs)).toBeGreaterThan(150);
    const spinner = results.find((e) => e.data?.step === 'spinner')?.data as { child: { frames: number } };
    expect(spinner.child.frames).toBeGreaterThanOrEqual(3);
  });

  it('prints its result lines plainly', async () => {
    const { stdout, exitCode } = await run(['demo', 'async', '--waits', '100', '--block', '200']);
    expect(exitCode).toBe(0);
    const out = lines(stdout);
    expect(out[0]).toMatch(/^overlapped: 120 waits, \d+ ms of waiting in \d+ ms$/);
    expect(out[1]).toMatch(/^free loop: 50 timers due every 4 ms: /);
    expect(out[2]).toMatch(
      /^blocked loop: 50 timers due every 4 ms: late by median \d+ ms, max \d+ ms, fired during the block 0$/,
    );
    expect(out[3]).toMatch(/^parent timer \(every 50 ms\): max \d+ ms late; child spinner/);
  });
});

describe('concur demo queue', () => {
  const resultLine = /^worker ([1-4]) says that (mul|plus)\((\d+), (\d+)\) = (\d+)$/;

  it('answers every task correctly, like mp_workers', async () => {
    const { stdout, stderr, exitCode } = await run(['demo', 'queue', '--delay', '20']);
    expect(exitCode).toBe(0);
    const out = lines(stdout);
    expect(out).toHaveLength(30);
    const tasks = out.map((line) => {
      const m = resultLine.exec(line);
      expect(m, line).not.toBeNull();
      const [, , func, a, b, result] = m as RegExpExecArray;
      expect(Number(result)).toBe(func === 'mul' ? Number(a) * Number(b) : Number(a) + Number(b));
      return `${func}(${a}, ${b})`;
    });
    expect(new Set(tasks).size).toBe(30);
    expect(tasks.filter((t) => t.startsWith('mul')).every((t) => t.endsWith(', 7)'))).toBe(true);
    // The plus batch goes on the queue only after the 20 mul results are in.
    expect(tasks.slice(0, 20).every((t) => t.startsWith('mul'))).toBe(true);
    expect(stderr.match(/took STOP: exited normally/g)).toHaveLength(4);
  });

  it('ends quietly with no orphans when stdout closes (| head -1)', async () => {
    const script = `node ${concurBin} demo queue --json --delay 50 | head -1; echo "status \${PIPESTATUS[0]}" >&2`;
    const { stdout, stderr } = await execa('bash', ['-c', script], { reject: false });
    expect(lines(stdout)).toHaveLength(1);
    expect(stderr).toMatch(/status 0/);
    expect(stderr).not.toMatch(/Error|at .*\.js/);
    const first = JSON.parse(stdout) as Event;
    await waitFor(() => !isAlive(first.pid), 5000, 'the first worker to exit');
  });

  it('SIGTERM stops concur (143) and every worker', async () => {
    const run = concur(['demo', 'queue', '--json', '--delay', '3000']);
    const seen: Event[] = [];
    run.stdout?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) seen.push(JSON.parse(line) as Event);
    });
    await waitForLine(run.stdout!, /"kind":"send"/);
    run.kill('SIGTERM');
    const { exitCode } = await run;
    expect(exitCode).toBe(143);
    await expectNoOrphans(seen);
  });
});
