// The visualizer's browser bundle: wires the typed endpoint to the VS Code webview API, starts the
// app and announces "ready" (the host answers with a full snapshot). elkjs runs in a worker started
// from a blob: URL (elkInWorker.ts; CSP worker-src blob:), never from the network.
import '../../../media/visualizer.css';
import { Endpoint, type WireMessage } from '../../protocol/webviewEndpoint';
import { VisualizerApp, type VsCodeApi } from './app';
import { elkInWorker } from './elkInWorker';

declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
const endpoint = new Endpoint({
  post: (m: WireMessage) => api.postMessage(m),
  timers: { set: (fn, ms) => window.setTimeout(fn, ms), clear: (h) => window.clearTimeout(h as number) },
  timeoutMs: 60_000,
  onError: (e) => console.warn(`xdp-lab visualizer: ${e.message}`),
});
window.addEventListener('message', (e: MessageEvent) => endpoint.handleMessage(e.data));
const root = document.getElementById('root') ?? document.body;
const app = new VisualizerApp(root, endpoint, api, elkInWorker());
// Exposed for the standalone browser test and the benchmark page, which wait on the first render.
(window as unknown as { xdpLabVisualizer: VisualizerApp }).xdpLabVisualizer = app;
app.ready();
