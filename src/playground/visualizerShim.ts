// Loaded in the visualizer's iframe before the unchanged visualizer bundle (dist/webview/visualizer.js):
// provides the acquireVsCodeApi() a VS Code webview has, bridged to the playground page by
// postMessage, and the theme variables and body class a webview gets from VS Code. The page's host
// answers as the extension's panel host does (ready → didSnapshot).
import type { ThemeKind } from './themeColors';
import { webviewThemeColors } from './themeColors';

interface ShimApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

let state: unknown;
const api: ShimApi = {
  // Same origin only: the page and the iframe come from the same folder.
  postMessage: (message) => window.parent.postMessage({ xdpLabVisualizer: message }, window.location.origin),
  getState: () => state,
  setState: (s) => {
    state = s;
  },
};
(window as unknown as { acquireVsCodeApi(): ShimApi }).acquireVsCodeApi = () => api;

function applyTheme(kind: ThemeKind): void {
  const root = document.documentElement;
  for (const [name, value] of Object.entries(webviewThemeColors[kind]))
    root.style.setProperty(`--vscode-${name}`, value);
  document.body.classList.remove('vscode-light', 'vscode-dark');
  document.body.classList.add(`vscode-${kind}`);
}

// Theme changes from the page are the shim's business: they never reach the visualizer's endpoint.
window.addEventListener(
  'message',
  (e: MessageEvent) => {
    const data = e.data as { xdpLabTheme?: unknown } | null;
    if (e.origin !== window.location.origin || !data || typeof data !== 'object' || !('xdpLabTheme' in data))
      return;
    e.stopImmediatePropagation();
    if (data.xdpLabTheme === 'light' || data.xdpLabTheme === 'dark') applyTheme(data.xdpLabTheme);
  },
  true,
);
applyTheme(new URLSearchParams(window.location.search).get('theme') === 'light' ? 'light' : 'dark');
