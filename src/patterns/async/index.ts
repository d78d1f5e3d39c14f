/**
 * `concur-patterns/async`: one event loop overlapping many waits, and how a CPU-bound loop stalls every timer on
 * it. Try: concur demo async
 */
export { overlapWaits, measureLateness, type OverlapRun, type LatenessRun } from './event-loop.js';
