// The visualizer's browser bundle: wires the typed endpoint to the VS Code webview API, starts the
// app and announces "ready" (the host answers with a full snapshot). elkjs runs bundled in this
// page (no worker URL, no network), which the CSP's `default-src 'none'` requires.
import ELK from 'elkjs/lib/elk.bundled.js';
import '../../../media/visualizer.css';
import { Endpoint, type WireMessage } from '../../protocol/webviewEndpoint';
import { VisualizerApp, type VsCodeApi } from './app';

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
const app = new VisualizerApp(root, endpoint, api, new ELK());
// Exposed for the standalone browser test and the benchmark page, which wait on the first render.
(window as unknown as { xdpLabVisualizer: VisualizerApp }).xdpLabVisualizer = app;
app.ready();
