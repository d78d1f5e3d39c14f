/**
 * Demo: supervisors, links and monitors. First a sub-supervisor process is killed to show a monitor's DOWN
 * message and links (its workers go down with it). Then concur supervises workers itself, crashes them on a
 * seeded schedule, and restarts them by the chosen strategy until the crashes run out (orderly shutdown,
 * exit 0) or the restart intensity is exceeded (orderly shutdown, exit 1).
 * Try: concur demo supervisor
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exitOnSignals } from '../../process/children.js';
import { describeReason, monitor, type Down, type ExitReason } from '../../process/supervision.js';
import {
  forkLinked,
  Supervisor,
  type RestartType,
  type Strategy,
  type SupervisorEvent,
} from './supervisor.js';
import { restartTypesStep } from './restart-types.js';
import { trapExitStep } from './trap-exit.js';
import {
  isFromSubSupervisor,
  isFromSupervisedWorker,
  type Crash,
  type FromSubSupervisor,
  type ToSupervisedWorker,
} from './protocol.js';
import { pick, seededRandom } from '../../work/random.js';
import type { DemoContext } from '../demo-context.js';

const workerPath = fileURLToPath(new URL('./worker.child.js', import.meta.url));
const subSupervisorPath = fileURLToPath(new URL('./sub-supervisor.child.js', import.meta.url));

// The ways a black box can fail, drawn from by the seeded schedule.
const crashKinds: Crash[] = [
  { how: 'exit', code: 3 },
  { how: 'signal', signal: 'SIGKILL' },
  { how: 'throw', message: 'boom' },
  { how: 'signal', signal: 'SIGSEGV' },
  { how: 'exit', code: 70 },
];

// Why a supervisor would choose each strategy: how much its children depend on each other.
const whyStrategy: Record<Strategy, string> = {
  one_for_one: 'the workers are independent, so a crash concerns only the one that crashed.',
  one_for_all:
    'the workers depend on each other (shared state, one protocol between them), so once one has gone the others cannot go on correctly: restart them all from a known state.',
  rest_for_one:
    'each worker depends on the ones started before it (a connection, then the workers using it): a crash invalidates the ones started after it, not those before.',
};

/** The crash schedule for a seed: which worker dies, and how, in order. */
export function crashSchedule(
  seed: number,
  workers: number,
  crashes: number,
): { victim: number; crash: Crash }[] {
  const random = seededRandom(seed);
  return Array.from({ length: crashes }, () => ({
    victim: pick(random, workers) + 1,
    crash: crashKinds[pick(random, crashKinds.length)] as Crash,
  }));
}

const describeCrash = (crash: Crash): string =>
  crash.how === 'exit'
    ? `process.exit(${crash.code})`
    : crash.how === 'signal'
      ? `kill itself with ${crash.signal}`
      : `throw an uncaught Error('${crash.message}')`;

// Erlang's spelling of a DOWN message, to put the idea next to its origin.
const erlangReason = (reason: ExitReason): string =>
  reason.kind === 'normal'
    ? 'normal'
    : reason.kind === 'exit'
      ? `{exit_code,${reason.code}}`
      : reason.kind === 'signal'
        ? `{signal,'${reason.signal}'}`
        : `{error,"${reason.message}"}`;
const downTuple = (down: Pick<Down, 'pid' | 'reason'>): string =>
  `{'DOWN', Ref, process, <${down.pid}>, ${erlangReason(down.reason)}}`;

export default async function supervisorDemo(context: DemoContext): Promise<number> {
  const strategy = (context.options.strategy ?? 'one_for_one') as Strategy;
  const maxRestarts = (context.options.maxRestarts ?? 1) as number;
  const periodS = (context.options.period ?? 5) as number;
  const seed = (context.options.seed ?? 1) as number;
  const workers = (context.options.workers ?? 3) as number;
  const crashes = (context.options.crashes ?? 3) as number;
  const { events } = context;
  const me = process.pid;
  exitOnSignals();

  await linksAndMonitors(context);
  const restart = context.options.restart as RestartType | undefined;
  if (restart) await restartTypesStep(context, restart);

  context.step(`2. A supervisor: ${strategy}, at most ${maxRestarts} restart(s) in ${periodS} s`);
  context.say(
    `concur (pid ${me}) supervises ${workers} workers; ${crashes} crash(es) scheduled by seed ${seed}.`,
  );
  context.say(`  why ${strategy}: ${whyStrategy[strategy]}`);
  context.say(
    `  --seed ${seed} fixes which worker crashes and how, in order; not when the OS schedules each process,`,
  );
  context.say('  so PIDs and timings differ from run to run while the results below stay the same.');
  const isReady = (message: unknown): boolean => isFromSupervisedWorker(message) && message.type === 'ready';
  const downs = new Map<string, (down: SupervisorEvent) => void>();
  const onEvent = (event: SupervisorEvent): void => {
    narrate(context, event);
    if (event.type === 'down') downs.get(event.id)?.(event);
  };
  const supervisor = new Supervisor(
    Array.from({ length: workers }, (_, i) => ({
      id: `worker-${i + 1}`,
      start: () => forkLinked(workerPath, [`worker-${i + 1}`], isReady),
      shutdownMs: 1000,
    })),
    { strategy, maxRestarts, periodMs: periodS * 1000, onEvent },
  );
  await supervisor.start();

  let gaveUp = false;
  for (const [n, { victim, crash }] of crashSchedule(seed, workers, crashes).entries()) {
    const id = `worker-${victim}`;
    const child = supervisor.child(id);
    if (!child) break;
    context.say(`\n  crash ${n + 1}: ${id} (pid ${child.pid}) is told to ${describeCrash(crash)}`);
    events.send(events.self, { role: id, pid: child.pid ?? 0 }, 'crash', { crash });
    const down = new Promise<unknown>((resolve) => downs.set(id, resolve));
    child.send({ type: 'crash', crash } satisfies ToSupervisedWorker, () => {});
    await down;
    const outcome = await Promise.race([supervisor.settled().then(() => 'settled'), supervisor.done]);
    if (outcome !== 'settled' || (await isDone(supervisor))) {
      gaveUp = true;
      break;
    }
  }
  const exit = gaveUp ? await supervisor.done : await supervisor.stop();
  await context.result(`supervisor stopped: ${exit.reason}, ${exit.restarts} restart(s)`, {
    reason: exit.reason,
    restarts: exit.restarts,
    strategy,
  });
  const code = exit.reason === 'intensity' ? 1 : 0;
  if (code === 1) {
    context.say(
      `\n  The supervisor gave up: more than ${maxRestarts} restart(s) in ${periodS} s means restarting is not\n` +
        '  helping. It stopped every child, last started first, and concur exits 1. In a supervision tree its\n' +
        '  own supervisor would now decide what to do. Try --max-restarts 10 to let it keep restarting.',
    );
  } else
    context.say(
      '\n  Every crash was repaired; the supervisor then shut down in order (reverse start order).',
    );
  await trapExitStep(context);
  return code;
}

// True once the supervisor has ended (checked without waiting).
async function isDone(supervisor: Supervisor): Promise<boolean> {
  const marker = Symbol('pending');
  return (await Promise.race([supervisor.done, Promise.resolve(marker)])) !== marker;
}

// One line on stderr (with PIDs) and one result line on stdout (without, so a seed pins it) per event.
function narrate(context: DemoContext, event: SupervisorEvent): void {
  const { events } = context;
  // Events about a child name the child (its id and PID); the supervisor's decisions are notes of its own.
  switch (event.type) {
    case 'started':
      events.spawn({ role: event.id, pid: event.pid }, { ...event });
      if (event.restarts > 0) events.emit(event.id, event.pid, 'restart', { ...event });
      break;
    case 'down':
      events.emit(event.id, event.pid, 'crash', { ...event, reasonText: describeReason(event.reason) });
      break;
    case 'terminated':
      events.emit(event.id, event.pid, 'exit', { ...event, reasonText: describeReason(event.reason) });
      break;
    default:
      events.emit(events.self.role, events.self.pid, 'note', { ...event });
  }
  let line: string;
  switch (event.type) {
    case 'started':
      context.say(`  ${event.restarts === 0 ? 'started' : 'restarted'} ${event.id} as pid ${event.pid}`);
      line = `${event.restarts === 0 ? 'started' : 'restarted'} ${event.id}`;
      break;
    case 'down':
      context.say(`  monitor: ${downTuple(event)}  (${event.id}: ${describeReason(event.reason)})`);
      line = `down ${event.id}: ${describeReason(event.reason)}`;
      break;
    case 'restarting':
      context.say(`  ${event.strategy}: restart ${event.ids.join(', ')}`);
      line = `restarting ${event.ids.join(', ')} (${event.strategy}, because ${event.cause} went down)`;
      break;
    case 'terminated':
      context.say(`  stopped ${event.id} (pid ${event.pid}): ${describeReason(event.reason)} (${event.why})`);
      line = `stopped ${event.id} for ${event.why}: ${describeReason(event.reason)}`;
      break;
    case 'not-restarted':
      context.say(`  ${event.id} is ${event.restart}: not restarted`);
      line = `not restarting ${event.id} (${event.restart})`;
      break;
    case 'intensity':
      context.say(
        `  intensity exceeded: more than ${event.maxRestarts} restart(s) in ${event.periodMs / 1000} s; shutting down`,
      );
      line = `intensity exceeded: more than ${event.maxRestarts} restart(s) in ${event.periodMs / 1000} s`;
      break;
    case 'start-failed':
      context.say(`  could not start ${event.id}: ${event.message}`);
      line = `start failed ${event.id}`;
      break;
    case 'stopped':
      context.say(`  supervisor stopped (${event.reason})`);
      return;
    default: {
      const unknown: never = event;
      throw new Error(`unknown supervisor event ${JSON.stringify(unknown)}`);
    }
  }
  void context.result(line, { event: event.type });
}

// Step 1: kill a sub-supervisor process; its monitor says DOWN, and its linked workers die with it.
async function linksAndMonitors(context: DemoContext): Promise<void> {
  const me = process.pid;
  context.step('1. Monitors and links');
  context.say(`concur (pid ${me}) starts a sub-supervisor process, which starts two linked workers.`);
  let ready: FromSubSupervisor | undefined;
  const sub = await forkLinked(subSupervisorPath, [], (message) => {
    if (!isFromSubSupervisor(message)) return false;
    ready = message;
    return true;
  });
  if (!ready) throw new Error('sub-supervisor: no ready message');
  const { events } = context;
  const subRef = events.child(sub, 'sub-supervisor', { workers: ready.workers });
  // The linked workers are the sub-supervisor's children, not concur's.
  for (const worker of ready.workers)
    events.emit(worker.id, worker.pid, 'spawn', { parent: subRef.role, parentPid: subRef.pid });
  context.say(`  concur ${me}`);
  context.say(`  └─ sub-supervisor ${ready.pid}`);
  for (const [i, worker] of ready.workers.entries())
    context.say(`     ${i === ready.workers.length - 1 ? '└' : '├'}─ ${worker.id} ${worker.pid}`);
  const down = new Promise<Down>((resolve) => monitor(sub, resolve));
  context.say('  concur monitors the sub-supervisor, then kills it with SIGKILL (it cannot clean up).');
  sub.kill('SIGKILL');
  const { reason, pid } = await down;
  context.say(`  monitor: ${downTuple({ pid, reason })}`);
  events.emit(events.self.role, me, 'note', { monitor: 'DOWN', pid, reason });
  await context.result(`monitor: sub-supervisor down: ${describeReason(reason)}`, { pid, reason });
  for (const worker of ready.workers) {
    const gone = await waitGone(worker.pid, 3000);
    context.say(
      gone
        ? `  link: ${worker.id} (pid ${worker.pid}) went down with its parent`
        : `  link: ${worker.id} (pid ${worker.pid}) is STILL RUNNING after 3 s`,
    );
    events.emit(worker.id, worker.pid, 'exit', { linked: true, gone });
    await context.result(`link: ${worker.id} ${gone ? 'went down with its parent' : 'outlived its parent'}`, {
      gone,
    });
  }
  context.say(
    '  A monitor only tells (a DOWN message); a link takes the other end down too. A supervisor is linked to\n' +
      '  its children (they die with it) but traps their exits, turning each into a message it can act on.',
  );
}

// Whether a PID has gone (a zombie counts as gone: it runs nothing), polling up to `timeoutMs`.
async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!running(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !running(pid);
}

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    // No /proc (macOS): fall back to signal 0.
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}
