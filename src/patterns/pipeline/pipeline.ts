/**
 * Pipeline: a chain of black boxes, each its own process, each reading lines from the one before and writing
 * to the one after, like a shell pipeline whose stages are JavaScript modules (src/modules/contract.ts).
 *
 * concur forks one process per stage and connects them with real OS pipes: stage 1's stdin is the input,
 * stage N's stdout the output, and each stdout is the next stage's stdin. Data never passes through concur,
 * and the kernel's pipe buffers give backpressure end to end: a slow reader blocks the writer before it,
 * all the way back to the input. Over each stage's IPC channel goes only control (src/patterns/pipeline/protocol.ts):
 * the handshake, the end-of-input decision, failures with a line number, and statistics.
 *
 * Use it when the work on a stream is CPU-bound and splits into steps: every stage runs on its own core, at
 * the same time. From Beazley's generator pipelines (genlog, gencat, gengrep) and Unix pipes; the same stage
 * modules run in one process as coroutines (`concur coroutine`).
 * Try: concur demo pipeline
 */
import type { ChildProcess, ForkOptions, StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { pipeline as pipeStreams } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_LOAD_TIMEOUT_MS,
  failureMessage,
  loadTimedOut,
  resolveModule,
  StageError,
  stageLabel,
  type StageRef,
} from '../../modules/contract.js';
import { ConcurError, ExitCode, InputError, OutputError, UsageError } from '../../process/errors.js';
import { recorder, type ProcessRef } from '../../trace/events.js';
import { forkChild, track } from '../../process/children.js';
import { receiveFrom } from '../../process/messages.js';
import { describeReason, reasonExitCode, type ExitReason } from '../../process/supervision.js';
import { isFromStage, type FromStage, type StageStats, type ToStage } from './protocol.js';

/** The stage child's entry point, next to this file once built. */
export const stageChildPath = fileURLToPath(new URL('./stage.child.js', import.meta.url));

/** How to run a pipeline. */
export interface PipelineOptions {
  /**
   * Where the first stage reads: 'inherit' (this process's stdin, handed over as is: default), a file
   * descriptor, or a Readable that concur pipes in.
   */
  input?: 'inherit' | number | Readable;
  /** Where the last stage writes: 'inherit' (this process's stdout: default), a file descriptor, or a Writable. */
  output?: 'inherit' | number | Writable;
  /** Directory that relative module paths are resolved from (default: process.cwd()). */
  cwd?: string;
  /** Ask every stage for a `progress` message this often (milliseconds). */
  progressMs?: number;
  /**
   * How long every stage together may take to load its module (default 10 s): past it, the stages are stopped
   * and the promise rejects with a UsageError (exit 2) naming the first stage still loading.
   */
  loadTimeoutMs?: number;
  /** Called with every control message crossing a stage's channel, both ways (for narration and tests). */
  onMessage?: (stage: StageInfo, direction: 'sent' | 'received', message: ToStage | FromStage) => void;
  /** Stop the pipeline: every stage gets SIGTERM and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Dependency seam: how to fork a stage (defaults to `forkChild`, which tracks it). */
  fork?: (modulePath: string, args: string[], options: ForkOptions) => ChildProcess;
}

/** A stage as the caller sees it: its place (0-based), its module as given, and its process. */
export interface StageInfo extends StageRef {
  readonly pid: number;
}

/** What each stage did: its own statistics (when it finished) and how its process ended. */
export interface StageReport extends StageInfo {
  stats?: StageStats;
  exit?: ExitReason;
}

/** The outcome of a pipeline that ran to its end (or whose reader went away). */
export interface PipelineResult {
  stages: StageReport[];
  /** The output's reader closed early (`| head -1`): not an error; the stages were stopped. */
  outputClosed: boolean;
  elapsedMs: number;
}

/** A stage of a pipeline failed: the StageError, plus what every stage had done when the pipeline stopped. */
export class PipelineError extends StageError {
  constructor(
    message: string,
    stage: StageRef,
    line: number | null,
    readonly result: PipelineResult,
    exitCode: number = ExitCode.failure,
  ) {
    super(message, stage, line, { exitCode });
  }
}

// One stage's process and what concur knows about it.
interface Running extends StageReport {
  child: ChildProcess;
  /** How events name the stage, and the recorder's number for the `start` message sent to it. */
  ref: ProcessRef;
  startMsg?: number;
  ready: boolean;
  /** Stopped on purpose by concur (upstream of a failure, or after the output closed). */
  stopped: boolean;
  /** Ended cleanly: reported `done` and exited 0. */
  clean: boolean;
  /** Its reader went away: whatever happened downstream explains its end. */
  outputClosed: boolean;
  exited: Promise<void>;
}

/**
 * Run `modules` (built-in names or paths) as a pipeline of processes, from `input` to `output`.
 * Every module is loaded in its stage before any input is read: a missing or broken one rejects with a
 * UsageError (exit 2), and so is one still loading after `loadTimeoutMs`. A failing stage (its code throws,
 * or its process ends before its input did) stops the stages upstream of it and rejects with a PipelineError
 * naming the stage and the line. Output that cannot be written rejects with an OutputError, unreadable input
 * with an InputError (exit 1 both). Resolves with each stage's statistics.
 */
export async function runPipeline(
  modules: readonly string[],
  options: PipelineOptions = {},
): Promise<PipelineResult> {
  if (modules.length === 0)
    throw new UsageError('a pipeline needs at least one stage: add --stage <module> (e.g. --stage upper).');
  const cwd = options.cwd ?? process.cwd();
  // Missing files are found here, before any process starts; bad contents are found by the stages.
  for (const spec of modules) resolveModule(spec, cwd);
  const started = performance.now();
  const stages = spawnChain(modules, options, cwd);
  const result = (): PipelineResult => ({
    stages: stages.map(({ index, name, pid, stats, exit }) => ({ index, name, pid, stats, exit })),
    outputClosed,
    elapsedMs: performance.now() - started,
  });

  let loadError: UsageError | undefined;
  // `error` when the failure is not the stage's code (its input or output); a PipelineError is made at the end.
  let failure:
    | { stage: Running; line: number | null; message: string; exitCode: number; error?: ConcurError }
    | undefined;
  let outputClosed = false;
  let aborted: unknown;

  const send = (stage: Running, message: ToStage): void => {
    if (!stage.child.connected) return;
    options.onMessage?.(stage, 'sent', message);
    const msg = recorder.send(recorder.self, stage.ref, message.type);
    if (message.type === 'start') stage.startMsg = msg;
    stage.child.send(message, () => {});
  };
  const stop = (stage: Running): void => {
    if (stage.exit) return;
    stage.stopped = true;
    stage.child.kill('SIGTERM');
  };
  // First failure wins; everything upstream of it is stopped (downstream drains what it already has).
  const fail = (
    stage: Running,
    line: number | null,
    message: string,
    exitCode: number,
    error?: ConcurError,
  ): void => {
    if (failure || loadError || outputClosed) return;
    failure = { stage, line, message, exitCode, error };
    for (const upstream of stages.slice(0, stage.index)) stop(upstream);
  };
  const outputName = typeof options.output === 'number' ? `file descriptor ${options.output}` : 'stdout';
  const inputName = typeof options.input === 'number' ? `file descriptor ${options.input}` : 'stdin';

  const handle = async (stage: Running, message: FromStage): Promise<void> => {
    options.onMessage?.(stage, 'received', message);
    if (recorder.enabled) record(stage, message);
    switch (message.type) {
      case 'ready':
        stage.ready = true;
        if (!loadError && stages.every((s) => s.ready)) {
          clearTimeout(loadTimer);
          for (const s of stages) send(s, { type: 'start', progressMs: options.progressMs });
        }
        return;
      case 'load-failed':
        loadError ??= new UsageError(`${stageLabel(stage)}: ${message.message}`, 'EBADMODULE');
        stages.forEach(stop);
        return;
      case 'progress':
        return;
      case 'eof': {
        // End of input is genuine only if the stage before ended cleanly; otherwise flush() would lie.
        const upstream = stages[stage.index - 1];
        if (upstream) await upstream.exited;
        const ok = (upstream ? upstream.clean : inputOk) && !failure && !outputClosed;
        send(stage, { type: ok ? 'flush' : 'abort' });
        return;
      }
      case 'done':
        stage.stats = message.stats;
        return;
      case 'failed': {
        fail(stage, message.line, failureMessage(stage, message.line, message.excerpt, message.message), 1);
        return;
      }
      case 'output-closed':
        // Only the last stage's reader is the user's; a middle stage's reader is a stage whose end explains it.
        stage.outputClosed = true;
        if (stage.index === stages.length - 1 && !failure) {
          outputClosed = true;
          stages.forEach(stop);
        }
        return;
      case 'output-failed': {
        // The last stage writes the pipeline's output: its failure is the output's, and everything stops.
        const last = stage.index === stages.length - 1;
        const error = last
          ? new OutputError(outputName, new Error(message.message))
          : new ConcurError(`${stageLabel(stage)} cannot write to the next stage: ${message.message}`);
        fail(stage, null, error.message, 1, error);
        stages.forEach(stop);
        return;
      }
      case 'input-failed': {
        const error =
          stage.index === 0
            ? new InputError(inputName, new Error(message.message))
            : new ConcurError(`${stageLabel(stage)} cannot read its input: ${message.message}`);
        fail(stage, null, error.message, 1, error);
        stages.forEach(stop);
        return;
      }
      default: {
        const unknown: never = message;
        throw new Error(`pipeline: unknown message ${JSON.stringify(unknown)}`);
      }
    }
  };

  // A module that never finishes loading (a top-level await that never settles, an endless loop) is a
  // usage error too, rather than a pipeline that waits forever.
  const loadTimeoutMs = options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
  const loadTimer = setTimeout(
    () => {
      const loading = stages.find((stage) => !stage.ready);
      if (!loading || loadError || aborted !== undefined) return;
      loadError = loadTimedOut(stageLabel(loading), loadTimeoutMs);
      stages.forEach(stop);
    },
    Math.min(loadTimeoutMs, 2 ** 31 - 1),
  );

  for (const stage of stages) {
    receiveFrom(stage.child, isFromStage, (message) => void handle(stage, message));
    stage.child.on('error', () => {});
    // 'close', not 'exit': it comes after the last IPC message, so a `done` sent just before exiting is counted.
    stage.child.once('close', (code, signal) => {
      stage.exit = signal ? { kind: 'signal', signal } : code ? { kind: 'exit', code } : { kind: 'normal' };
      stage.clean = stage.exit.kind === 'normal' && stage.stats !== undefined;
      if (stage.clean || stage.stopped || stage.outputClosed || loadError) return;
      if (code === ExitCode.usage && !stage.ready) return; // load-failed already said why
      if (failure?.stage === stage) return; // failed, output-failed or input-failed already said why
      // Ended without `done`, by any exit code: before its input did, so the run failed (the stage's own
      // process.exit() is reported with its line, as a throw; this is any other way out).
      if (stage.exit.kind !== 'signal') {
        const how = code ? `with code ${code}` : 'normally';
        fail(stage, null, `${stageLabel(stage)} exited ${how} before its input ended`, ExitCode.failure);
        return;
      }
      fail(
        stage,
        null,
        `${stageLabel(stage)} died: ${describeReason(stage.exit)}`,
        reasonExitCode(stage.exit),
      );
    });
  }

  // Streams given as input or output are pumped by concur, with their own backpressure.
  let inputOk = true;
  const first = stages[0] as Running;
  const last = stages[stages.length - 1] as Running;
  if (isStream(options.input) && first.child.stdin)
    pipeStreams(options.input, first.child.stdin, (error) => {
      if (!error) return;
      // EPIPE: the first stage went away; its own exit says why.
      if ((error as NodeJS.ErrnoException).code === 'EPIPE') return;
      inputOk = false;
      fail(first, null, `reading the input failed: ${error.message}`, 1);
      stages.forEach(stop);
    });
  const outputDone =
    isStream(options.output) && last.child.stdout
      ? new Promise<void>((resolve) =>
          pipeStreams(last.child.stdout as Readable, options.output as Writable, (error) => {
            if (error && !failure) {
              outputClosed = true;
              stages.forEach(stop);
            }
            resolve();
          }),
        )
      : Promise.resolve();

  const onAbort = (): void => {
    aborted = options.signal?.reason ?? new Error('pipeline aborted');
    stages.forEach(stop);
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all(stages.map((stage) => stage.exited));
    await outputDone;
  } finally {
    clearTimeout(loadTimer);
    options.signal?.removeEventListener('abort', onAbort);
  }

  if (loadError) throw loadError;
  if (aborted !== undefined) throw aborted;
  if (failure) {
    const { message, stage, line, exitCode, error } = failure;
    if (error) throw error;
    throw new PipelineError(message, { index: stage.index, name: stage.name }, line, result(), exitCode);
  }
  return result();
}

// Record a message from a stage. Its final stats say when it got `start` and when it was streaming: from its
// first input line to the end of its output (a stage waits on its pipes in between, so that is an upper bound).
function record(stage: Running, message: FromStage): void {
  if (message.type !== 'done') {
    recorder.message(stage.ref, recorder.self, message.type);
    return;
  }
  const { startedAt, firstInputMs, wallMs, linesIn, linesOut, cpuMs } = message.stats;
  recorder.receive(stage.ref, recorder.self, stage.startMsg ?? 0, 'start', undefined, startedAt);
  if (firstInputMs >= 0)
    recorder.task(stage.ref, 'stream', startedAt + firstInputMs, startedAt + wallMs, {
      linesIn,
      linesOut,
      cpuMs,
    });
  recorder.message(stage.ref, recorder.self, 'done', { linesIn, linesOut }, startedAt + wallMs);
}

// One entry of fork's stdio array: 'pipe', 'inherit', a file descriptor, or a stream to hand over.
type StdioSpec = Extract<StdioOptions, unknown[]>[number];

function isStream<T extends Readable | Writable>(value: T | number | 'inherit' | undefined): value is T {
  return typeof value === 'object' && value !== null;
}

// Fork every stage in one synchronous run, wiring stdout to the next stdin. concur hands each pipe end to the
// next child and closes its own copy before its event loop can read a byte, so the pipes are the stages' alone.
function spawnChain(modules: readonly string[], options: PipelineOptions, cwd: string): Running[] {
  const fork = options.fork ?? forkChild;
  const input = options.input ?? 'inherit';
  const output = options.output ?? 'inherit';
  const stages: Running[] = [];
  let upstream: StdioSpec = isStream(input) ? 'pipe' : input;
  try {
    modules.forEach((name, index) => {
      const isLast = index === modules.length - 1;
      const downstream = isLast && !isStream(output) ? output : 'pipe';
      const child = track(
        fork(stageChildPath, [name], {
          cwd,
          stdio: [upstream, downstream, 'inherit', 'ipc'],
          // A stage makes a string per line, all short-lived: left alone, V8 grows its young generation on a
          // long input, so memory would depend on input size. Capped, it stays flat at no measurable cost.
          execArgv: [...process.execArgv, '--max-semi-space-size=2'],
        }),
      );
      const previous = stages[index - 1];
      if (previous) previous.child.stdout?.destroy();
      upstream = child.stdout ?? 'ignore';
      stages.push({
        index,
        name,
        pid: child.pid ?? 0,
        child,
        ref: recorder.child(child, stageLabel({ index, name })),
        ready: false,
        stopped: false,
        clean: false,
        outputClosed: false,
        exited: new Promise((resolve) => child.once('close', () => resolve())),
      });
    });
  } catch (error) {
    for (const stage of stages) stage.child.kill('SIGKILL');
    throw new ConcurError(`cannot start a pipeline stage: ${(error as Error).message}`);
  }
  return stages;
}
