// The visualizer's simulation worker (dist/simWorker.js, a Node worker thread of the extension
// host): runs one scenario with runner.ts, streams its progress, keeps the finished run and answers
// the panel's questions about it (frame trace, traffic frame number, events, pcaps) until the host
// terminates it. Messages: src/protocol/simWorkerMessages.ts. No vscode here: a worker has none.
import { parentPort } from 'node:worker_threads';
import type {
  HostToSimWorker,
  SimRunReplies,
  SimRunRequest,
  SimWorkerToHost,
} from '../../protocol/simWorkerMessages';
import { snapshotParams } from '../../protocol/visualizerTimelinePack';
import { runScenarioForView, type ScenarioRunOutput } from './runner';

const port = parentPort;
if (!port) throw new Error('simWorker.js runs as a worker thread of the extension host, not on its own');

const post = (m: SimWorkerToHost, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

let started = false;
const ctl = new AbortController();
let run: ScenarioRunOutput | undefined;

function answer(request: SimRunRequest): SimRunReplies[SimRunRequest['method']] {
  if (!run) throw new Error('the run has not finished: nothing to answer from yet');
  switch (request.method) {
    case 'trace':
      return run.trace(request.frame);
    case 'trafficFrameNumber':
      return run.trafficFrameNumber(request.frame);
    case 'eventsText':
      return run.eventsText();
    case 'pcaps':
      // Copies (made here, then transferred): the run keeps its own for the next export.
      return [...run.pcaps].map(([device, bytes]) => [device, bytes.slice()]);
  }
}

port.on('message', (m: HostToSimWorker) => {
  switch (m.kind) {
    case 'start': {
      if (started) {
        post({
          kind: 'failed',
          ok: false,
          message: 'simulation worker: one run per worker, a second start refused',
        });
        return;
      }
      started = true;
      runScenarioForView({
        ...m.params,
        log: (level, message) => post({ kind: 'log', level, message }),
        signal: ctl.signal,
        onProgress: (model, p) => post({ kind: 'progress', model, ...p }),
      }).then(
        (out) => {
          run = out;
          // The timeline packed here (runner.ts packed it already, so this is a lookup): the host
          // receives one string instead of 100 000 objects to clone on its thread.
          const { model, timeline } = snapshotParams(out.model, { state: 'ready' });
          post({
            kind: 'done',
            model,
            ...(timeline ? { timeline } : {}),
            transmitted: [...out.transmitted],
            inputs: [...out.inputs],
          });
        },
        (e: unknown) =>
          post({
            kind: 'failed',
            ok: false,
            message: messageOf(e),
            ...(ctl.signal.aborted ? { stopped: true } : {}),
          }),
      );
      return;
    }
    case 'stop':
      ctl.abort(new Error('stopped'));
      return;
    case 'request': {
      let value: SimRunReplies[SimRunRequest['method']];
      try {
        value = answer(m.request);
      } catch (e) {
        post({ kind: 'reply', id: m.id, ok: false, message: messageOf(e) });
        return;
      }
      // pcap bytes move to the host instead of being cloned on its thread (each copy has its own buffer).
      const transfer =
        m.request.method === 'pcaps'
          ? (value as SimRunReplies['pcaps']).map(([, b]) => b.buffer as ArrayBuffer)
          : [];
      post({ kind: 'reply', id: m.id, ok: true, value }, transfer);
      return;
    }
  }
});

post({ kind: 'ready' });
