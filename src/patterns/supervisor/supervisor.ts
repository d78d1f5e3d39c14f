/**
 * Supervisor: a process whose only job is to start other processes, watch them, and restart them when they
 * die. Erlang/OTP's answer to failure: let the black box crash, and let another black box, which shares no
 * data with it, notice and put things right ("black boxes can detect errors in other black boxes").
 *
 * - Links: each child is forked with an IPC channel and calls exitWithParent(), so if the supervisor dies,
 *   its children die with it. The supervisor traps its children's exits instead of dying with them.
 * - Monitors: the supervisor turns each child's death into a DOWN message with a reason (supervision.ts).
 * - Restart types: permanent (always restart), transient (only after an abnormal exit), temporary (never).
 * - Strategies: one_for_one (restart the one that died), one_for_all (stop the others and restart them all),
 *   rest_for_one (stop and restart the ones started after it).
 * - Intensity: at most R restarts in T ms (Erlang's defaults: 1 in 5 s). Past that the supervisor gives up,
 *   stops every child in reverse start order, and ends with reason 'intensity'.
 *
 * Use it for long-lived worker processes that must stay up. From Erlang/OTP's supervisor behaviour.
 * Try: concur demo supervisor
 */
import type { ChildProcess } from 'node:child_process';
import { forkChild } from '../../process/children.js';
import {
  describeReason,
  monitor,
  RestartIntensity,
  terminate,
  type ExitReason,
} from '../../process/supervision.js';

/** When a child that has exited is restarted. */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/** Which children are restarted when one dies. */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';

/** The strategies, for option parsing and help. */
export const strategies: readonly Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one'];

/** How to start and stop one child. */
export interface ChildSpec {
  /** A name unique within the supervisor ("worker-1"). */
  id: string;
  /** Start the child; resolve once it is ready (Erlang's start_link returns after init). */
  start: () => ChildProcess | Promise<ChildProcess>;
  /** permanent (default), transient or temporary. */
  restart?: RestartType;
  /** Milliseconds between SIGTERM and SIGKILL when the supervisor stops it (0 = SIGKILL at once). */
  shutdownMs?: number;
}

/** Everything a supervisor does, as it happens (for narration, traces and tests). */
export type SupervisorEvent =
  /** A child was started; `restarts` counts earlier starts of the same id. */
  | { type: 'started'; id: string; pid: number; restarts: number }
  /** A monitor fired: a child went down on its own. */
  | { type: 'down'; id: string; pid: number; reason: ExitReason }
  /** The strategy chose these children to restart because `cause` went down. */
  | { type: 'restarting'; cause: string; ids: string[]; strategy: Strategy }
  /** The supervisor stopped a child itself (for the strategy, or during shutdown). */
  | { type: 'terminated'; id: string; pid: number; reason: ExitReason; why: 'strategy' | 'shutdown' }
  /** A child that went down is not restarted (temporary, or transient ending normally). */
  | { type: 'not-restarted'; id: string; restart: RestartType }
  /** Too many restarts in the period: the supervisor gives up. */
  | { type: 'intensity'; maxRestarts: number; periodMs: number }
  /** A child could not be started. */
  | { type: 'start-failed'; id: string; message: string }
  /** The supervisor has stopped every child. */
  | { type: 'stopped'; reason: SupervisorExit['reason'] };

/** How a supervisor ended. */
export interface SupervisorExit {
  /** 'shutdown': stop() was called; 'intensity': too many restarts (a failure). */
  reason: 'shutdown' | 'intensity';
  /** Restarts performed over the supervisor's life. */
  restarts: number;
}

/** How to supervise. */
export interface SupervisorOptions {
  /** Default one_for_one. */
  strategy?: Strategy;
  /** R in "at most R restarts in T ms"; default 1 (Erlang's). */
  maxRestarts?: number;
  /** T in ms; default 5000 (Erlang's). */
  periodMs?: number;
  /** Told about every event, in order. */
  onEvent?: (event: SupervisorEvent) => void;
  /** Clock for the intensity window (a seam for tests). */
  now?: () => number;
}

interface Running {
  spec: ChildSpec;
  child: ChildProcess | undefined;
  starts: number;
  /** Stop watching this child (used before the supervisor stops it, so its exit is not a crash). */
  demonitor: () => void;
}

/**
 * A supervisor of child processes. Children start in order; crashes are handled one at a time, like the
 * messages in an Erlang supervisor's mailbox, so two crashes never race each other's restarts.
 */
export class Supervisor {
  readonly strategy: Strategy;
  /** Resolves once the supervisor has stopped, with why. */
  readonly done: Promise<SupervisorExit>;
  private readonly children: Running[] = [];
  private readonly intensity: RestartIntensity;
  private readonly onEvent: (event: SupervisorEvent) => void;
  private mailbox: Promise<void> = Promise.resolve();
  private stopping = false;
  private restarts = 0;
  private resolveDone!: (exit: SupervisorExit) => void;

  constructor(
    specs: readonly ChildSpec[],
    private readonly options: SupervisorOptions = {},
  ) {
    const ids = new Set<string>();
    for (const spec of specs) {
      if (ids.has(spec.id)) throw new Error(`supervisor: two children have the id '${spec.id}'`);
      ids.add(spec.id);
      this.children.push({ spec, child: undefined, starts: 0, demonitor: () => {} });
    }
    this.strategy = options.strategy ?? 'one_for_one';
    this.intensity = new RestartIntensity(options.maxRestarts ?? 1, options.periodMs ?? 5000, options.now);
    this.onEvent = options.onEvent ?? (() => {});
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /**
   * Start every child in order. If one fails to start, the ones already started are stopped and the
   * supervisor ends (as Erlang's start_link fails); the error is rethrown.
   */
  async start(): Promise<this> {
    for (const running of this.children) {
      try {
        await this.startChild(running);
      } catch (error) {
        await this.shutdown('intensity');
        throw error;
      }
    }
    return this;
  }

  /** The children now running, in start order: id and PID. */
  which(): { id: string; pid: number }[] {
    return this.children.flatMap((r) => (r.child?.pid ? [{ id: r.spec.id, pid: r.child.pid }] : []));
  }

  /** The running process for `id`, if any. */
  child(id: string): ChildProcess | undefined {
    return this.children.find((r) => r.spec.id === id)?.child;
  }

  /** Orderly shutdown: stop every child in reverse start order. Resolves when all are gone. */
  stop(): Promise<SupervisorExit> {
    this.enqueue(() => this.shutdown('shutdown'));
    return this.done;
  }

  /** Wait until every crash seen so far has been dealt with (restarts done or shutdown begun). */
  settled(): Promise<void> {
    return this.mailbox;
  }

  // Handle one thing at a time, in arrival order: the supervisor's mailbox.
  private enqueue(task: () => Promise<void>): void {
    this.mailbox = this.mailbox.then(task, task);
  }

  // Fork (via the spec) and monitor one child. Its DOWN goes to the mailbox.
  private async startChild(running: Running): Promise<void> {
    const child = await running.spec.start();
    running.child = child;
    const pid = child.pid ?? 0;
    this.onEvent({ type: 'started', id: running.spec.id, pid, restarts: running.starts });
    running.starts++;
    running.demonitor = monitor(child, (down) =>
      this.enqueue(() => this.handleDown(running, pid, down.reason)),
    );
  }

  // A child went down on its own: decide, by restart type, intensity and strategy, what to do.
  private async handleDown(running: Running, pid: number, reason: ExitReason): Promise<void> {
    if (this.stopping || running.child?.pid !== pid) return;
    running.child = undefined;
    const { id, restart = 'permanent' } = running.spec;
    this.onEvent({ type: 'down', id, pid, reason });
    const restartIt = restart === 'permanent' || (restart === 'transient' && reason.kind !== 'normal');
    if (!restartIt) {
      this.onEvent({ type: 'not-restarted', id, restart });
      return;
    }
    if (!this.intensity.allow()) {
      this.onEvent({
        type: 'intensity',
        maxRestarts: this.intensity.maxRestarts,
        periodMs: this.intensity.periodMs,
      });
      await this.shutdown('intensity');
      return;
    }
    this.restarts++;
    const index = this.children.indexOf(running);
    const group =
      this.strategy === 'one_for_one'
        ? [running]
        : this.strategy === 'one_for_all'
          ? this.children
          : this.children.slice(index);
    // A temporary sibling stopped by the strategy is not started again (as in OTP).
    const again = group.filter((r) => r === running || (r.spec.restart ?? 'permanent') !== 'temporary');
    this.onEvent({
      type: 'restarting',
      cause: id,
      ids: again.map((r) => r.spec.id),
      strategy: this.strategy,
    });
    for (const sibling of [...group].reverse())
      if (sibling !== running) await this.stopChild(sibling, 'strategy');
    for (const r of again) {
      try {
        await this.startChild(r);
      } catch (error) {
        this.onEvent({ type: 'start-failed', id: r.spec.id, message: (error as Error).message });
        await this.shutdown('intensity');
        return;
      }
    }
  }

  // Stop one child on purpose: demonitor first, so its exit is not mistaken for a crash.
  private async stopChild(running: Running, why: 'strategy' | 'shutdown'): Promise<void> {
    const child = running.child;
    if (!child) return;
    running.demonitor();
    running.child = undefined;
    const reason = await terminate(child, running.spec.shutdownMs ?? 2000);
    this.onEvent({ type: 'terminated', id: running.spec.id, pid: child.pid ?? 0, reason, why });
  }

  // Stop all children, last started first, then report how the supervisor ended.
  private async shutdown(reason: SupervisorExit['reason']): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const running of [...this.children].reverse()) await this.stopChild(running, 'shutdown');
    this.onEvent({ type: 'stopped', reason });
    this.resolveDone({ reason, restarts: this.restarts });
  }
}

/**
 * Fork a linked child: an IPC channel (the child calls exitWithParent(), so it dies with this process),
 * tracked (so it is killed when this process exits), stdin ignored. Resolves once the child sends a message
 * for which `isReady` is true (its handshake), or rejects if it exits first. Build `isReady` on the child's
 * protocol guard, e.g. `(m) => isFromQueueWorker(m) && m.type === 'get'`, so the handshake is checked too.
 */
export function forkLinked(
  modulePath: string,
  args: string[] = [],
  isReady: (message: unknown) => boolean = () => true,
): Promise<ChildProcess> {
  const child = forkChild(modulePath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // A send to a child that just died raises 'error' on the child object; monitors report the death itself.
  child.on('error', () => {});
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (!isReady(message)) return;
      child.off('message', onMessage);
      stop();
      resolve(child);
    };
    const stop = monitor(child, (down) => {
      child.off('message', onMessage);
      reject(new Error(`${modulePath} exited before it was ready (${describeReason(down.reason)})`));
    });
    child.on('message', onMessage);
  });
}
