// The capture results panel (browser side): counts per tracepoint, errno histograms explained with the
// one errno table of core, flows ifindex → to_ifindex with device names, batched totals and, for live
// captures, per-second rates. DOM built with textContent only (no HTML strings), state from the host
// over the typed endpoint; the last state is kept with setState so the panel survives reloads.
import { errnoByName } from '../../core/trace/errnos';
import { fleetRows } from '../../core/trace/fleetSummary';
import { tracepointRows, type XdpSummary } from '../../core/trace/summary';
import { tracepointInfo } from '../../core/trace/tracepoints';
import {
  captureDidUpdate,
  captureExport,
  captureReady,
  captureStop,
  type CaptureViewState,
  type FleetHostState,
} from '../../protocol/capture';
import { Endpoint, type WireMessage } from '../../protocol/webviewEndpoint';

interface VsCodeApi {
  postMessage(message: unknown): void;
  setState(state: unknown): void;
  getState(): unknown;
}
declare function acquireVsCodeApi(): VsCodeApi;

type Child = Node | string | number | undefined | false;

function h(
  tag: string,
  props: { class?: string; title?: string; onclick?: () => void } = {},
  ...children: Child[]
): HTMLElement {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.title) el.title = props.title;
  if (props.onclick) el.addEventListener('click', props.onclick);
  for (const c of children)
    if (c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
  return el;
}

function table(
  head: readonly string[],
  rows: readonly Child[][],
  numeric: readonly number[] = [],
): HTMLElement {
  return h(
    'table',
    {},
    h('tr', {}, ...head.map((t, i) => h('th', numeric.includes(i) ? { class: 'num' } : {}, t))),
    ...rows.map((r) =>
      h('tr', {}, ...r.map((c, i) => h('td', numeric.includes(i) ? { class: 'num' } : {}, c))),
    ),
  );
}

/** A fleet capture: its state, kernel and counts per host beside the merged counts. */
function fleetTable(merged: XdpSummary, hosts: readonly FleetHostState[]): Child[] {
  const stateOf = (f: FleetHostState): Child =>
    f.state === 'failed'
      ? h('b', { class: 'warn' }, `failed: ${f.error ?? 'unknown error'}`)
      : f.state === 'done'
        ? (f.status ?? 'done')
        : `${f.state}…`;
  const rows: Child[][] = [
    ['state', '', ...hosts.map(stateOf)],
    ['kernel', '', ...hosts.map((f) => f.kernel ?? '')],
    ...fleetRows(
      merged,
      hosts.map((f) => f.summary),
    ).map((r) => [r.name, r.merged, ...r.perHost.map((n) => (n === undefined ? '—' : n))]),
  ];
  const failed = hosts.filter((f) => f.state === 'failed').length;
  return [
    h('h2', {}, `Hosts (${hosts.length}${failed ? `, ${failed} failed` : ''})`),
    h(
      'table',
      { class: 'fleet' },
      h(
        'tr',
        {},
        h('th', {}, ''),
        h('th', { class: 'num' }, 'all'),
        ...hosts.map((f) => h('th', { class: 'num' }, f.host)),
      ),
      ...rows.map((r, i) =>
        h('tr', {}, ...r.map((c, j) => h('td', j > 0 && i > 1 ? { class: 'num' } : {}, c))),
      ),
    ),
  ];
}

function render(root: HTMLElement, s: CaptureViewState, endpoint: Endpoint): void {
  const c = s.capture;
  const sum = c.summary;
  const dev = (i: number): HTMLElement =>
    h('span', {}, c.devices[i] ?? '?', h('span', { class: 'dim' }, ` (${i})`));
  const status = h('p', { class: 'status' });
  const act = (label: string, run: () => void): HTMLElement => h('button', { onclick: run }, label);
  const exportAs = (format: 'xdpcapture' | 'json' | 'csv') => (): void => {
    endpoint.sendRequest(captureExport, { format }).then(
      (p) => (status.textContent = p ? `written: ${p}` : ''),
      (e: unknown) => (status.textContent = `export failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  };
  const parts: Child[] = [
    h('h1', {}, `XDP capture — ${c.host}`),
    h(
      'p',
      { class: 'dim' },
      `kernel ${c.kernel} · ${c.tool} · started ${c.startedAt} · ${c.durationSeconds.toFixed(1)} s · ${s.running ? 'running…' : c.status}${
        s.eventCount ? ` · ${s.eventCount} events` : ''
      }`,
    ),
    h(
      'div',
      { class: 'actions' },
      s.running && act('Stop', () => endpoint.sendNotification(captureStop, {})),
      !s.running && act('Save as .xdpcapture.json', exportAs('xdpcapture')),
      !s.running && act('Export CSV', exportAs('csv')),
      !s.running && act('Export JSON summary', exportAs('json')),
    ),
    status,
    c.message ? h('p', { class: 'warn' }, c.message) : undefined,
  ];
  if (s.rates) {
    parts.push(
      h('h2', {}, 'Live rates (events per second)'),
      table(
        ['tracepoint', 'total/s', 'per CPU'],
        s.rates.rows.map((r) => [
          r.name,
          r.perSecond.toFixed(0),
          Object.entries(r.perCpu)
            .map(([cpu, n]) => `cpu${cpu}: ${n.toFixed(0)}`)
            .join(', '),
        ]),
        [1],
      ),
    );
    const xmits = sum.tracepoints['xdp:xdp_devmap_xmit'] ?? 0;
    if (xmits)
      parts.push(
        h('p', {}, `devmap bulk average: ${(sum.devmapXmit.sent / xmits).toFixed(1)} frames per transmit`),
      );
    const exc = Object.entries(s.rates.exceptions);
    if (exc.length)
      parts.push(h('p', {}, `exceptions by action: ${exc.map(([a, n]) => `${a} ${n}`).join(', ')}`));
  }
  if (s.comparison) {
    const sections = {
      tracepoint: 'tracepoint',
      errno: 'errno',
      devmapXmit: 'devmap xmit',
      cpumap: 'cpumap',
      flow: 'flow',
    };
    parts.push(
      h('h2', {}, 'Predicted (simulation) vs observed (capture)'),
      h('p', { class: 'dim' }, `scenario ${s.comparison.scenario}`),
      table(
        ['', 'what', 'predicted', 'observed', ''],
        s.comparison.rows.map((r) => [
          sections[r.section],
          r.key,
          r.predicted,
          r.observed,
          r.predicted === r.observed
            ? h('span', { class: 'same' }, '=')
            : h('b', { class: 'warn' }, `Δ ${r.observed - r.predicted}`),
        ]),
        [2, 3],
      ),
    );
  }
  if (s.fleet) parts.push(...fleetTable(c.summary, s.fleet));
  parts.push(
    h('h2', {}, s.fleet ? 'Tracepoints (all hosts)' : 'Tracepoints'),
    table(
      ['tracepoint', 'events', 'fires when'],
      tracepointRows(sum).map((r) => [
        r.name,
        r.count,
        h('span', { class: 'dim' }, tracepointInfo(r.name)?.fires ?? ''),
      ]),
      [1],
    ),
  );
  const hists = Object.entries(sum.errno);
  if (hists.length) {
    parts.push(h('h2', {}, 'Errors by errno'));
    for (const [tp, hist] of hists) {
      parts.push(
        h('h3', {}, tp),
        table(
          ['errno', 'events', 'meaning, usual cause and fix'],
          Object.entries(hist).map(([name, n]) => {
            const info = errnoByName(name);
            return [
              h('b', {}, info ? `${name} (${info.number})` : name),
              n,
              info
                ? h(
                    'div',
                    {},
                    h('b', {}, `${info.meaning}.`),
                    h('div', {}, `Cause: ${info.cause}.`),
                    h('div', { class: 'fix' }, `Fix: ${info.fix}.`),
                  )
                : 'not an errno XDP Lab knows in the XDP context',
            ];
          }),
          [1],
        ),
      );
    }
  }
  parts.push(
    h('h2', {}, 'Batched totals'),
    h(
      'p',
      {},
      `devmap xmit: sent ${sum.devmapXmit.sent}, drops ${sum.devmapXmit.drops} · cpumap enqueue: processed ${sum.cpumap.enqueue.processed}, drops ${sum.cpumap.enqueue.drops} · kthread: processed ${sum.cpumap.kthread.processed}, drops ${sum.cpumap.kthread.drops}`,
    ),
  );
  const programs = Object.entries(c.programs ?? {});
  if (programs.length)
    parts.push(
      h('h2', {}, 'Programs'),
      table(
        ['program', 'redirected', 'redirect errors', 'exceptions'],
        programs.map(([id, p]) => [
          h('span', {}, c.programNames?.[id] ?? '?', h('span', { class: 'dim' }, ` (id ${id})`)),
          p.redirects,
          Object.entries(p.errors)
            .map(([k, n]) => `${k} × ${n}`)
            .join(', '),
          Object.entries(p.exceptions)
            .map(([k, n]) => `${k} × ${n}`)
            .join(', '),
        ]),
        [1],
      ),
    );
  const flows = Object.values(sum.flows);
  if (flows.length)
    parts.push(
      h('h2', {}, 'Flows'),
      table(
        ['from', 'to', 'redirected', 'sent', 'drops', 'errors'],
        flows.map((f) => [
          dev(f.ifindex),
          dev(f.to_ifindex),
          f.redirects,
          f.sent,
          f.drops,
          Object.entries(f.errors)
            .map(([k, n]) => `${k} × ${n}`)
            .join(', '),
        ]),
        [2, 3, 4],
      ),
    );
  root.replaceChildren(
    ...parts
      .filter((p): p is Node | string => p !== undefined && p !== false)
      .map((p) => (typeof p === 'number' ? String(p) : p)),
  );
}

const api = acquireVsCodeApi();
const endpoint = new Endpoint({
  post: (m: WireMessage) => api.postMessage(m),
  timers: { set: (fn, ms) => window.setTimeout(fn, ms), clear: (t) => window.clearTimeout(t as number) },
  timeoutMs: 120_000, // export waits for a save dialog
  onError: (e) => console.warn(`xdp-lab capture view: ${e.message}`),
});
window.addEventListener('message', (e: MessageEvent) => endpoint.handleMessage(e.data));
const root = document.getElementById('root') ?? document.body;
const show = (s: CaptureViewState): void => {
  api.setState(s);
  render(root, s, endpoint);
};
endpoint.onNotification(captureDidUpdate, show);
endpoint.sendRequest(captureReady, {}).then(show, (e: unknown) => {
  root.textContent = `XDP Lab: could not load the capture: ${e instanceof Error ? e.message : String(e)}`;
});
