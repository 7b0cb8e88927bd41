// Runs a scenario for the visualizer in a Node worker thread (dist/simWorker.js), so the extension
// host's thread, shared with every other extension, only forwards messages (issue 16 goal 5): it
// starts the worker, relays progress, logs and Stop, and asks the finished run (kept in its worker)
// for a frame trace, a frame's traffic number, events or pcaps. A worker that cannot start leaves
// the run to the extension host itself (runner.ts, in slices), with the reason logged.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type {
  HostToSimWorker,
  SimRunReplies,
  SimRunRequest,
  SimStartParams,
  SimWorkerToHost,
} from '../../protocol/simWorkerMessages';
import type { TraceReply, VisModel } from '../../protocol/visualizer';
import type { PackedTimeline } from '../../protocol/visualizerTimelinePack';
import { runScenarioForView, type ScenarioRunOutput } from './runner';

/** A finished run as the panel holds it; its questions are answered by the worker that made it. */
export interface ScenarioRun {
  /** The view model; when `timeline` is set, `model.timeline` is empty and this holds it packed. */
  model: VisModel;
  timeline?: PackedTimeline;
  /** Frames each device transmitted in all (more than its pcap holds when the run was long). */
  transmitted: ReadonlyMap<string, number>;
  /** Files the run read (scenario, program sources/objects): saving one of them re-runs. */
  inputs: readonly string[];
  /** Where it ran: its worker, or the extension host when no worker could start. */
  where: 'worker' | 'extension host';
  /** Runs a frame's first program again in the VM's trace mode (the frame stepper). */
  trace(frame: number): Promise<TraceReply>;
  /** The frame's 1-based number in the scenario's traffic (runner.ts trafficFrameNumber). */
  trafficFrameNumber(id: number): Promise<number | undefined>;
  /** The kept tracepoint events as `perf script` text. */
  eventsText(): Promise<string>;
  /** What each device transmitted, as pcap files: the first PANEL_PCAP_FRAMES frames. */
  pcaps(): Promise<ReadonlyMap<string, Uint8Array>>;
  /** Lets the run go (its worker ends); later questions are refused with a message. */
  dispose(): void;
}

export interface ScenarioRunOptions extends SimStartParams {
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  signal?: AbortSignal;
  /** A long run's counts so far, at most every 100 ms (runner.ts). */
  onProgress?: (partial: VisModel, progress: { framesInjected: number; framesTotal: number }) => void;
  /** The worker's script; default dist/simWorker.js beside the bundle that runs this. */
  workerFile?: string;
}

/** A worker that has not said `ready` by then is taken as one that cannot start. */
const START_TIMEOUT_MS = 15_000;
/** After Stop, the worker has this long to kill clang and say so before it is terminated anyway. */
const STOP_GRACE_MS = 2_000;

/**
 * A worker loaded ahead for the next run (a worker's start is 150–300 ms of loading the bundle, paid
 * once per run otherwise: the 80-frame example took 300–650 ms instead of 110–265). Made after a
 * run ends, not beside it (2 cores: loading it would slow that run's start); unref'd while idle so
 * that it never keeps a process (the CLI's tests, the bench) alive. One worker at most, idle.
 */
let spare: { file: string; worker: Promise<Worker>; dead: boolean } | undefined;

function takeSpare(file: string): Promise<Worker> | undefined {
  const s = spare;
  spare = undefined;
  if (!s || s.dead || s.file !== file) return undefined;
  return s.worker.then((w) => {
    // An idle worker that exited since (threadId -1) is not taken: the caller starts a new one.
    if (w.threadId < 0) throw new Error('the spare worker has exited');
    w.ref();
    return w;
  });
}

function prewarm(file: string): void {
  if (spare) return;
  const s = { file, worker: startWorker(file), dead: false };
  spare = s;
  s.worker.then(
    (w) => {
      w.unref();
      w.once('exit', () => (s.dead = true));
    },
    () => (s.dead = true),
  );
}

/** Runs the scenario in a worker thread; in the extension host when the worker cannot start. */
export async function runScenario(req: ScenarioRunOptions): Promise<ScenarioRun> {
  const file = req.workerFile ?? path.join(__dirname, 'simWorker.js');
  let worker: Worker;
  try {
    worker = await (takeSpare(file) ?? startWorker(file)).catch(() => startWorker(file));
  } catch (e) {
    req.log?.(
      'warn',
      `the simulation runs in the extension host: its worker (${file}) did not start: ${e instanceof Error ? e.message : String(e)}`,
    );
    req.signal?.throwIfAborted();
    return inProcess(await runScenarioForView(req));
  }
  const run = runInWorker(worker, req);
  // Whatever the run's end (done, failed, stopped), the next run finds a loaded worker.
  run.then(
    () => prewarm(file),
    () => prewarm(file),
  );
  return run;
}

/** Whether a worker is kept loaded (or loading) for the next run of `file` (tests, logs). */
export function hasSpareWorker(file: string): boolean {
  return !!spare && !spare.dead && spare.file === file;
}

/** Ends the idle worker kept for the next run (the extension's deactivation). */
export function disposeSpareWorker(): void {
  const s = spare;
  spare = undefined;
  s?.worker.then(
    (w) => void w.terminate(),
    () => undefined,
  );
}

/** A worker that said `ready`, or why it did not. */
function startWorker(file: string): Promise<Worker> {
  return new Promise<Worker>((resolve, reject) => {
    let worker: Worker;
    try {
      // The bundle needs no flags of its parent's: a parent under a loader (tsx in tests and the
      // bench) would otherwise load it into the worker too (1.5 s of a 2 s start, measured).
      worker = new Worker(file, { execArgv: [] });
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    const timer = setTimeout(() => {
      done();
      void worker.terminate();
      reject(new Error(`no word from it in ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    const onMessage = (m: SimWorkerToHost): void => {
      if (m.kind !== 'ready') return;
      done();
      resolve(worker);
    };
    const onError = (e: Error): void => {
      done();
      void worker.terminate();
      reject(e);
    };
    const onExit = (code: number): void => {
      done();
      reject(new Error(`it exited with code ${code} while loading`));
    };
    const done = (): void => {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}

function runInWorker(worker: Worker, req: ScenarioRunOptions): Promise<ScenarioRun> {
  const send = (m: HostToSimWorker): void => worker.postMessage(m);
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  /** Set once the worker is gone (exit, crash, dispose): why questions are refused. */
  let gone: string | undefined;
  const end = (why: string): void => {
    if (gone) return;
    gone = why;
    for (const p of pending.values()) p.reject(new Error(why));
    pending.clear();
    void worker.terminate();
  };
  const ask = <M extends SimRunRequest['method']>(
    request: Extract<SimRunRequest, { method: M }>,
  ): Promise<SimRunReplies[M]> => {
    if (gone) return Promise.reject(new Error(gone));
    const id = nextId++;
    return new Promise<SimRunReplies[M]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      send({ kind: 'request', id, request });
    });
  };

  return new Promise<ScenarioRun>((resolve, reject) => {
    let settled = false;
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      req.signal?.removeEventListener('abort', onAbort);
      reject(e);
    };
    const onAbort = (): void => {
      // Stop: the worker aborts (and kills clang); the caller hears at once, the worker ends soon.
      send({ kind: 'stop' });
      setTimeout(() => end('the run was stopped'), STOP_GRACE_MS).unref();
      fail(req.signal?.reason instanceof Error ? req.signal.reason : new Error('the run was stopped'));
    };
    worker.on('message', (m: SimWorkerToHost) => {
      switch (m.kind) {
        case 'ready':
          return;
        case 'log':
          req.log?.(m.level, m.message);
          return;
        case 'progress':
          if (!settled)
            req.onProgress?.(m.model, { framesInjected: m.framesInjected, framesTotal: m.framesTotal });
          return;
        case 'failed':
          end(m.stopped ? 'the run was stopped' : `the run failed: ${m.message}`);
          fail(new Error(m.message));
          return;
        case 'done': {
          if (settled) return; // stopped meanwhile
          settled = true;
          req.signal?.removeEventListener('abort', onAbort);
          resolve({
            model: m.model,
            ...(m.timeline ? { timeline: m.timeline } : {}),
            transmitted: new Map(m.transmitted),
            inputs: m.inputs,
            where: 'worker',
            trace: (frame) => ask({ method: 'trace', frame }),
            trafficFrameNumber: (frame) => ask({ method: 'trafficFrameNumber', frame }),
            eventsText: () => ask({ method: 'eventsText' }),
            pcaps: async () => new Map(await ask({ method: 'pcaps' })),
            dispose: () => end('this run was let go (a newer run or a closed panel replaced it)'),
          });
          return;
        }
        case 'reply': {
          const p = pending.get(m.id);
          if (!p) return;
          pending.delete(m.id);
          if (m.ok) p.resolve(m.value);
          else p.reject(new Error(m.message));
          return;
        }
      }
    });
    // A crash (an exception nothing caught) or an exit is reported, never a panel left waiting.
    worker.on('error', (e: Error) => {
      const why = `the simulation worker failed: ${e.message}`;
      end(why);
      fail(new Error(why));
    });
    worker.on('exit', (code) => {
      const why = `the simulation worker exited (code ${code})`;
      if (!gone) gone = why;
      for (const p of pending.values()) p.reject(new Error(gone));
      pending.clear();
      fail(new Error(`${why} before the run ended`));
    });
    if (req.signal?.aborted) {
      onAbort();
      return;
    }
    req.signal?.addEventListener('abort', onAbort, { once: true });
    send({
      kind: 'start',
      params: {
        scenarioPath: req.scenarioPath,
        ...(req.edits ? { edits: req.edits } : {}),
        maxEvents: req.maxEvents,
        clangPath: req.clangPath,
        includePaths: req.includePaths,
        clangArgs: req.clangArgs,
      },
    });
  });
}

/** The fallback's run: runner.ts's answers, made in the extension host. */
function inProcess(out: ScenarioRunOutput): ScenarioRun {
  return {
    model: out.model,
    transmitted: out.transmitted,
    inputs: out.inputs,
    where: 'extension host',
    trace: (frame) => Promise.resolve(out.trace(frame)),
    trafficFrameNumber: (id) => Promise.resolve(out.trafficFrameNumber(id)),
    eventsText: () => Promise.resolve(out.eventsText()),
    pcaps: () => Promise.resolve(out.pcaps),
    dispose: () => undefined,
  };
}
