// The supervisor demo (monitors, links, the three strategies, restart intensity) and the Supervisor library's
// restart types, driven with real processes. Every --json run is checked for orphans: each PID in its events
// must be gone once concur has exited.
import { describe, expect, it } from 'vitest';
import {
  concur,
  concurText,
  expectNoOrphans,
  isAlive,
  nonEmptyLines,
  parseEvents,
  waitFor,
  type DemoEvent,
} from '../../helpers.js';

describe('concur demo supervisor', () => {
  it('with Erlang defaults (1 restart in 5 s), a second crash shuts everything down in order, exit 1', async () => {
    const { stdout, stderr, exitCode } = await concurText(['demo', 'supervisor']);
    expect(exitCode).toBe(1);
    expect(nonEmptyLines(stdout)).toEqual([
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

  const restartLines = (stdout: string): string[] =>
    nonEmptyLines(stdout).filter((l) => l.startsWith('restarting '));
  const common = ['--max-restarts', '10', '--seed', '7', '--crashes', '4', '--json'];

  it('one_for_one restarts only the worker that died', async () => {
    const { stdout, exitCode } = await concurText([
      'demo',
      'supervisor',
      '--strategy',
      'one_for_one',
      ...common,
    ]);
    expect(exitCode).toBe(0);
    const events = parseEvents(stdout);
    const restarts = events.filter((e) => e.data?.type === 'restarting');
    expect(restarts).toHaveLength(4);
    for (const e of restarts) expect(e.data?.ids).toEqual([e.data?.cause]);
    expect(events.some((e) => e.data?.type === 'terminated' && e.data.why === 'strategy')).toBe(false);
    await expectNoOrphans(events);
  });

  it('one_for_all stops the others (last first) and restarts them all', async () => {
    const { stdout, exitCode } = await concurText([
      'demo',
      'supervisor',
      '--strategy',
      'one_for_all',
      ...common,
    ]);
    expect(exitCode).toBe(0);
    const events = parseEvents(stdout);
    const restarts = events.filter((e) => e.data?.type === 'restarting');
    expect(restarts).toHaveLength(4);
    for (const e of restarts) expect(e.data?.ids).toEqual(['worker-1', 'worker-2', 'worker-3']);
    await expectNoOrphans(events);
  });

  it('rest_for_one restarts the worker that died and the ones started after it', async () => {
    const { stdout, exitCode } = await concurText([
      'demo',
      'supervisor',
      '--strategy',
      'rest_for_one',
      ...common,
    ]);
    expect(exitCode).toBe(0);
    const result = nonEmptyLines(stdout)
      .map((l) => JSON.parse(l) as DemoEvent)
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
    await expectNoOrphans(parseEvents(stdout));
  });

  it('a tighter intensity (2 in 5 s) gives up on the third crash, exit 1, no orphans', async () => {
    const { stdout, exitCode } = await concurText([
      'demo',
      'supervisor',
      '--max-restarts',
      '2',
      '--seed',
      '7',
      '--json',
    ]);
    expect(exitCode).toBe(1);
    const events = parseEvents(stdout);
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
    const seen: DemoEvent[] = [];
    run.stdout?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        seen.push(JSON.parse(line) as DemoEvent);
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
    const { Supervisor, forkLinked } = await import('../../../dist/patterns/supervisor/supervisor.js');
    const worker = new URL('../../../dist/patterns/supervisor/worker.child.js', import.meta.url).pathname;
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
