/**
 * The spinner's own stopwatch: when each frame was drawn, and what that says about the process drawing them.
 * Kept apart from the renderers so a child can start timing, and draw, before the renderer has loaded.
 * Try: concur demo spinner
 */
import type { SpinnerStats } from './protocol.js';

/** Records when each frame was drawn, and turns that into stats. */
export class FrameClock {
  readonly startedAt = performance.now();
  readonly times: number[] = [];
  private steady: { cpu: NodeJS.CpuUsage; at: number } | undefined;

  /**
   * Start measuring steady-state CPU from now (when the real renderer is up), so a one-time cost such as
   * loading the renderer is not counted as the cost of spinning.
   */
  startSteady(): void {
    this.steady = { cpu: process.cpuUsage(), at: performance.now() };
  }

  tick(): void {
    if (!this.steady) this.steady = { cpu: process.cpuUsage(), at: performance.now() };
    this.times.push(performance.now());
  }

  /** Frames drawn, gaps between them, first-frame latency and this process's CPU time. */
  stats(animated: boolean, received: string[] = [], receivedAt: number[] = []): SpinnerStats {
    const gaps = this.times.slice(1).map((t, i) => t - (this.times[i] ?? t));
    gaps.sort((a, b) => a - b);
    const at = (q: number): number => gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))] ?? 0;
    const cpu = process.cpuUsage();
    const now = performance.now();
    const spinning = this.steady ? process.cpuUsage(this.steady.cpu) : undefined;
    const spinWallMs = now - (this.steady?.at ?? now);
    return {
      frames: this.times.length,
      animated,
      intervalP50Ms: at(0.5),
      intervalP95Ms: at(0.95),
      intervalMaxMs: gaps.at(-1) ?? 0,
      firstFrameMs: (this.times[0] ?? this.startedAt) - this.startedAt,
      cpuMs: (cpu.user + cpu.system) / 1000,
      spinCpuPercent:
        spinning && spinWallMs > 0 ? ((spinning.user + spinning.system) / 1000 / spinWallMs) * 100 : 0,
      wallMs: now - this.startedAt,
      received,
      receivedAt,
      spinning: this.runs(at(0.5)),
    };
  }

  // Frames close together form one run; a gap of more than 2.5 typical intervals is a stall between runs.
  private runs(typicalGapMs: number): [number, number][] {
    const origin = performance.timeOrigin;
    const runs: [number, number][] = [];
    const stall = Math.max(typicalGapMs * 2.5, 1);
    for (const time of this.times) {
      const last = runs.at(-1);
      if (last && time - (last[1] - origin) <= stall) last[1] = origin + time;
      else runs.push([origin + time, origin + time]);
    }
    return runs;
  }
}
