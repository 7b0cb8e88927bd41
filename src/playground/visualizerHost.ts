// The page as the visualizer's host: the iframe runs the extension's unchanged visualizer bundle, whose
// acquireVsCodeApi() (visualizerShim.ts) posts to this page; this side answers with the same typed
// protocol as the extension's panel host (src/extension/visualizer/panel.ts): ready → didSnapshot.
import { Endpoint, type WireMessage } from '../protocol/webviewEndpoint';
import { countsOfModel } from '../protocol/visualizerFromSimulation';
import { snapshotParams } from '../protocol/visualizerTimelinePack';
import {
  visualizerProtocol as P,
  type TrafficEdit,
  type VisModel,
  type VisStatus,
} from '../protocol/visualizer';

export interface VisualizerHostHandlers {
  openSource(file: string, line: number): { opened: boolean; message?: string };
  rerun(edits: readonly TrafficEdit[]): Promise<{ ok: boolean; message?: string }>;
  save(fileName: string, content: string, mime: string): void;
  /** The view's Stop: end the run in progress. */
  stop(): void;
}

export class VisualizerHost {
  private readonly endpoint: Endpoint;
  private model: VisModel | undefined;
  /** The view has the current run's partial model, so counts alone update it. */
  private partialShown = false;
  private status: VisStatus = { state: 'empty', message: 'Press Simulate to run the scenario.' };

  constructor(
    private readonly frame: HTMLIFrameElement,
    handlers: VisualizerHostHandlers,
    onError: (message: string) => void,
  ) {
    this.endpoint = new Endpoint({
      post: (m: WireMessage) => frame.contentWindow?.postMessage(m, window.location.origin),
      timers: { set: (fn, ms) => window.setTimeout(fn, ms), clear: (h) => window.clearTimeout(h as number) },
      timeoutMs: 30_000,
      onError: (e) => onError(`visualizer: ${e.message}`),
    });
    this.endpoint.onNotification(P.ready, () => this.send());
    this.endpoint.onRequest(P.openSource, (p) => handlers.openSource(p.file, p.line));
    this.endpoint.onRequest(P.rerun, (p) => handlers.rerun(p.traffic ?? []));
    this.endpoint.onNotification(P.cancel, () => handlers.stop());
    this.endpoint.onRequest(P.export, (p) => {
      if (p.kind === 'pcap')
        return { message: 'pcap export needs the extension or `xdp-lab simulate --pcap-dir`.' };
      const name = `${this.model?.title ?? 'xdp-lab'}.${p.kind === 'events' ? 'txt' : p.kind}`;
      if (p.content === undefined) return { message: 'nothing to export' };
      handlers.save(name, p.content, p.kind === 'svg' ? 'image/svg+xml' : 'text/plain');
      return { saved: name };
    });
    window.addEventListener('message', (e: MessageEvent) => {
      // Only the visualizer's own frame, and only its wrapped messages, reach the endpoint.
      if (e.source !== frame.contentWindow || e.origin !== window.location.origin) return;
      const data = e.data as { xdpLabVisualizer?: unknown } | null;
      if (data && typeof data === 'object' && 'xdpLabVisualizer' in data)
        this.endpoint.handleMessage(data.xdpLabVisualizer);
    });
  }

  show(model: VisModel, status: VisStatus = { state: 'ready' }): void {
    this.partialShown = false;
    this.model = model;
    this.status = status;
    this.send();
  }

  /**
   * A long run's counts so far: the first report of a run draws its topology (didSnapshot), later
   * ones update the counts (didUpdate), as the extension's panel does.
   */
  progress(partial: VisModel, status: VisStatus): void {
    this.model = partial;
    this.status = status;
    if (!this.partialShown) this.send();
    else this.endpoint.sendNotification(P.didUpdate, { counts: countsOfModel(partial), status });
    this.partialShown = true;
  }

  setStatus(status: VisStatus): void {
    // A new run (running, no report yet) starts over with a snapshot; so does the end of one.
    this.partialShown = false;
    this.status = status;
    this.endpoint.sendNotification(P.didStatus, status);
  }

  private send(): void {
    if (this.model) this.endpoint.sendNotification(P.didSnapshot, snapshotParams(this.model, this.status));
    else this.endpoint.sendNotification(P.didStatus, this.status);
  }
}
