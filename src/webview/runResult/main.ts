// The Run-on-a-frame result panel (browser side): asks the host for the result ("ready"), renders it
// with runResultTree, and sends Re-run / Open as JSON; state kept with setState for reloads.
import {
  runResultDidUpdate,
  runResultOpenJson,
  runResultReady,
  runResultRerun,
  type RunResultView,
} from '../../protocol/runResult';
import { Endpoint, type WireMessage } from '../../protocol/webviewEndpoint';
import { mount } from '../visualizer/dom';
import { runResultTree } from './view';

interface VsCodeApi {
  postMessage(message: unknown): void;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
const root = document.getElementById('root') ?? document.body;
const endpoint = new Endpoint({
  post: (m: WireMessage) => api.postMessage(m),
  timers: { set: (fn, ms) => setTimeout(fn, ms), clear: (t) => clearTimeout(t as number) },
  onError: (e) => console.warn(`run result: ${e.message}`),
});
window.addEventListener('message', (e: MessageEvent) => endpoint.handleMessage(e.data));

function show(r: RunResultView): void {
  api.setState({ result: r });
  mount(root, runResultTree(r));
}

root.addEventListener('click', (e) => {
  const action = (e.target as Element | null)?.closest('[data-action]')?.getAttribute('data-action');
  if (action === 'rerun') endpoint.sendNotification(runResultRerun, {});
  else if (action === 'json') endpoint.sendNotification(runResultOpenJson, {});
});
endpoint.onNotification(runResultDidUpdate, show);
endpoint
  .sendRequest(runResultReady, {})
  .then(show)
  .catch((e: unknown) => {
    root.textContent = `The result could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
  });
