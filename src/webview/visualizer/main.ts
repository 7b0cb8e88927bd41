// The visualizer's browser bundle (issue #6 fills it in). Announces itself to the host.
interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
api.postMessage({ method: 'visualizer/ready' });
