/**
 * Every wait has a bound: a watchdog for the connections of one side (coordinator or host). A socket cut by the
 * network does not close: commands just never return, on our clients and on the ones BullMQ opens itself. So
 * instead of waiting for an 'end' that may never come, each side probes the broker once a second and records
 * when each connection last answered; the broker is lost when one of them has been silent for `silentMs` (the
 * coordinator first renews a reader silent while its other connection answers: probe.ts `silence`). A cut
 * shorter than that recovers by itself (TCP resends), and the run goes on.
 *
 * A process that was itself frozen (SIGSTOP, a swapped-out VM) sees every clock jump at once when it wakes:
 * that is not the broker's silence, so a tick that comes far too late starts the clocks afresh.
 * Try: concur demo distributed
 */

/** Watch a few named connections for silence; `tick` runs once a second to probe and check. */
export class SilenceWatch {
  private readonly answered = new Map<string, number>();
  private lastTick = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly silentMs: number,
    private readonly intervalMs = 1000,
  ) {}

  /** Connection `name` answered just now. */
  heard(name: string): void {
    this.answered.set(name, Date.now());
  }

  /** How long (ms) since connection `name` last answered; Infinity if it never has. */
  since(name: string): number {
    const at = this.answered.get(name);
    return at === undefined ? Infinity : Date.now() - at;
  }

  /** The connection silent longest, and for how long (ms); undefined while every one is within the bound. */
  silent(): { name: string; ms: number } | undefined {
    const now = Date.now();
    let worst: { name: string; ms: number } | undefined;
    for (const [name, at] of this.answered)
      if (now - at > this.silentMs && (!worst || now - at > worst.ms)) worst = { name, ms: now - at };
    return worst;
  }

  /** Call `tick` every interval until stopped; the timer never holds the process open. */
  start(tick: () => void): void {
    this.lastTick = Date.now();
    this.timer = setInterval(() => {
      const now = Date.now();
      // Frozen ourselves (the tick is 3 intervals late): the broker's clocks start again from now.
      if (now - this.lastTick > 3 * this.intervalMs)
        for (const name of this.answered.keys()) this.heard(name);
      this.lastTick = now;
      tick();
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
