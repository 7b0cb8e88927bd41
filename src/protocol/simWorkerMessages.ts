// Messages between a simulation's caller and the worker that runs it: the extension host and its
// Node worker thread (src/extension/visualizer/simWorker.ts), the playground page and its Web Worker
// (src/playground/simProtocol.ts builds on the shared shapes). The worker does the whole run; its
// caller only forwards these (issue 16 goal 5: the extension host never runs a 1 M-frame simulation).
import type { PackedTimeline } from './visualizerTimelinePack';
import type { TraceReply, TrafficEdit, VisModel } from './visualizer';

/** A long run's counts so far (a view model without timeline), sent between its slices. */
export interface SimProgress {
  kind: 'progress';
  model: VisModel;
  framesInjected: number;
  framesTotal: number;
}

/** A run that ended without a result: `stopped` when the caller asked for it (not a failure). */
export interface SimFailure {
  ok: false;
  message: string;
  stopped?: boolean;
}

/** What the extension host asks its worker to run: a scenario file as the panel reads it. */
export interface SimStartParams {
  scenarioPath: string;
  edits?: readonly TrafficEdit[];
  /** Timeline steps kept (xdpLab.simulation.maxEvents, capped by the panel). */
  maxEvents: number;
  clangPath: string;
  includePaths: readonly string[];
  clangArgs: readonly string[];
}

/** Host → worker. One run per worker; the questions about it come after its `done`. */
export type HostToSimWorker =
  | { kind: 'start'; params: SimStartParams }
  /** Abort the run (clang too); the worker answers `failed` with `stopped`. */
  | { kind: 'stop' }
  | { kind: 'request'; id: number; request: SimRunRequest };

/** The questions a panel asks of a finished run (frame stepper, "Debug this frame", exports). */
export type SimRunRequest =
  | { method: 'trace'; frame: number }
  | { method: 'trafficFrameNumber'; frame: number }
  | { method: 'eventsText' }
  | { method: 'pcaps' };

/** The answer to each request method. */
export interface SimRunReplies {
  trace: TraceReply;
  trafficFrameNumber: number | undefined;
  eventsText: string;
  /** Device name → pcap file bytes (their buffers are transferred, not copied). */
  pcaps: [string, Uint8Array][];
}

/** Worker → host. */
export type SimWorkerToHost =
  /** First message: the worker's module loaded (before it, a failure means "cannot start"). */
  | { kind: 'ready' }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string }
  | SimProgress
  | {
      kind: 'done';
      /** The view model with `timeline` empty: the timeline comes packed (one string, cheap to clone). */
      model: VisModel;
      timeline?: PackedTimeline;
      /** Frames each device transmitted in all (its pcap keeps the first PANEL_PCAP_FRAMES). */
      transmitted: [string, number][];
      /** Files the run read: saving one re-runs. */
      inputs: string[];
    }
  | ({ kind: 'failed' } & SimFailure)
  | { kind: 'reply'; id: number; ok: true; value: SimRunReplies[SimRunRequest['method']] }
  | { kind: 'reply'; id: number; ok: false; message: string };
