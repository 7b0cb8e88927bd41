// The capture results panel's contract: the state the host sends (a capture in the saved-file shape,
// whether it is still running, live rates) and every message between the panel and the host. Both
// sides validate what they receive; the view never gets the event list (a 1 M-event perf capture stays
// in the host), only the summary.
import type { RateRow } from '../core/trace/bpftraceCapture';
import type { CompareRow } from '../core/trace/compareSummary';
import { checkCaptureFile, type CaptureFile } from '../core/trace/captureFile';
import { checkSummary, type XdpSummary } from '../core/trace/summary';
import { notificationType, requestType, v, type Schema } from './webviewEndpoint';

export interface CaptureLiveRates {
  /** Seconds the rates cover (1 for the per-second view). */
  readonly seconds: number;
  readonly rows: readonly RateRow[];
  /** Verdict → xdp_exception events so far. */
  readonly exceptions: Record<string, number>;
}

export interface CaptureViewState {
  /** The capture without its event lines (see eventCount). */
  readonly capture: CaptureFile;
  readonly running: boolean;
  readonly eventCount: number;
  readonly rates?: CaptureLiveRates;
  /** "Compare with simulation": predicted (scenario) vs observed (this capture), row by row. */
  readonly comparison?: { readonly scenario: string; readonly rows: readonly CompareRow[] };
  /** A fleet capture (issue 15 item 3): `capture` holds the merged counts, this each host's. */
  readonly fleet?: readonly FleetHostState[];
}

/** One host of a fleet capture: where it is, its counts so far, or why it failed. */
export interface FleetHostState {
  /** As the user named it (alias or user@host:port). */
  readonly host: string;
  readonly state: 'connecting' | 'attaching' | 'capturing' | 'failed' | 'done';
  /** The capture's end status (complete, stopped, connection-lost) once done. */
  readonly status?: string;
  readonly kernel?: string;
  readonly error?: string;
  readonly summary?: XdpSummary;
}

const captureSchema: Schema<CaptureFile> = {
  check: (x, p) => {
    const r = checkCaptureFile(x);
    return typeof r === 'string' ? `${p}: ${r}` : undefined;
  },
};

const summarySchema: Schema<XdpSummary> = {
  check: (x, p) => {
    const r = checkSummary(x);
    return typeof r === 'string' ? `${p}: ${r}` : undefined;
  },
};

const fleetHost = v.object({
  host: v.string({ maxLength: 1024 }),
  state: v.literal('connecting', 'attaching', 'capturing', 'failed', 'done'),
  status: v.optional(v.string({ maxLength: 64 })),
  kernel: v.optional(v.string({ maxLength: 256 })),
  error: v.optional(v.string({ maxLength: 8192 })),
  summary: v.optional(summarySchema),
});

const rateRow = v.object({
  name: v.string({ maxLength: 128 }),
  perSecond: v.number(),
  perCpu: v.record(v.number()),
});

const viewState = v.as<CaptureViewState>(
  v.object({
    capture: captureSchema,
    running: v.boolean(),
    eventCount: v.int(0),
    comparison: v.optional(
      v.object({
        scenario: v.string({ maxLength: 4096 }),
        rows: v.array(
          v.object({
            section: v.literal('tracepoint', 'errno', 'devmapXmit', 'cpumap', 'flow'),
            key: v.string({ maxLength: 1024 }),
            predicted: v.number(),
            observed: v.number(),
          }),
        ),
      }),
    ),
    fleet: v.optional(v.array(fleetHost, { maxLength: 256 })),
    rates: v.optional(
      v.object({ seconds: v.number({ min: 0 }), rows: v.array(rateRow), exceptions: v.record(v.int(0)) }),
    ),
  }),
);

/** view → host, first message: answered with the full state. */
export const captureReady = requestType('capture/ready', v.object({}), viewState);

/** host → view: the state changed (a new snapshot, the end of the capture). */
export const captureDidUpdate = notificationType('capture/didUpdate', viewState);

/** view → host: save or export; the host asks where (save dialog). Result: the path written, or null. */
export const captureExport = requestType(
  'capture/export',
  v.object({ format: v.literal('xdpcapture', 'json', 'csv') }),
  v.as<string | null>({
    check: (x, p) => (x === null || typeof x === 'string' ? undefined : `${p} must be a string or null`),
  }),
);

/** view → host: stop the running capture (same as XDP Lab: Stop Capture). */
export const captureStop = notificationType('capture/stop', v.object({}));
