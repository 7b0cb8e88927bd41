// The HTML of the capture results panel: counts, errno histograms explained with the one errno table,
// flows ifindex → to_ifindex with device names, and (live rates) per-second rates. Static HTML with
// every value escaped and a CSP without scripts: nothing from the host can run in the panel.
import type { CaptureFile } from '../../core/trace/captureFile';
import type { RateRow } from '../../core/trace/bpftraceCapture';
import { errnoByName } from '../../core/trace/errnos';
import { tracepointInfo } from '../../core/trace/tracepoints';
import { tracepointRows } from '../../core/trace/summary';

const esc = (v: unknown): string =>
  String(v).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

export interface LiveRates {
  readonly rows: readonly RateRow[];
  readonly exceptions: Record<string, number>;
}

export function resultsHtml(
  c: CaptureFile,
  nonce: string,
  cspSource: string,
  live?: { running: boolean; rates?: LiveRates },
): string {
  const s = c.summary;
  const dev = (i: number): string => `${esc(c.devices[i] ?? '?')} <span class="dim">(${i})</span>`;
  const parts: string[] = [];
  parts.push(
    `<h1>XDP capture — ${esc(c.host)}</h1>`,
    `<p class="dim">kernel ${esc(c.kernel)} · ${esc(c.tool)} · started ${esc(c.startedAt)} · ${esc(c.durationSeconds.toFixed(1))} s · ${esc(live?.running ? 'running…' : c.status)}</p>`,
  );
  if (c.message) parts.push(`<p class="warn">${esc(c.message)}</p>`);
  if (live?.rates) {
    parts.push(
      '<h2>Live rates (events per second)</h2><table><tr><th>tracepoint</th><th>total/s</th><th>per CPU</th></tr>',
    );
    for (const r of live.rates.rows)
      parts.push(
        `<tr><td>${esc(r.name)}</td><td class="num">${esc(r.perSecond.toFixed(0))}</td><td>${Object.entries(
          r.perCpu,
        )
          .map(([cpu, v]) => `cpu${esc(cpu)}: ${esc(v.toFixed(0))}`)
          .join(', ')}</td></tr>`,
      );
    parts.push('</table>');
    const xmits = s.tracepoints['xdp:xdp_devmap_xmit'] ?? 0;
    if (xmits)
      parts.push(
        `<p>devmap bulk average: ${esc((s.devmapXmit.sent / xmits).toFixed(1))} frames per transmit</p>`,
      );
    const exc = Object.entries(live.rates.exceptions);
    if (exc.length)
      parts.push(`<p>exceptions by action: ${exc.map(([a, n]) => `${esc(a)} ${esc(n)}`).join(', ')}</p>`);
  }
  parts.push(
    '<h2>Tracepoints</h2><table><tr><th>tracepoint</th><th class="num">events</th><th>fires when</th></tr>',
  );
  for (const r of tracepointRows(s))
    parts.push(
      `<tr><td>${esc(r.name)}</td><td class="num">${esc(r.count)}</td><td class="dim">${esc(tracepointInfo(r.name)?.fires ?? '')}</td></tr>`,
    );
  parts.push('</table>');
  const errnoTables = Object.entries(s.errno);
  if (errnoTables.length) {
    parts.push('<h2>Errors by errno</h2>');
    for (const [tp, hist] of errnoTables) {
      parts.push(
        `<h3>${esc(tp)}</h3><table><tr><th>errno</th><th class="num">events</th><th>meaning, usual cause and fix</th></tr>`,
      );
      for (const [name, n] of Object.entries(hist)) {
        const info = errnoByName(name);
        parts.push(
          `<tr><td><b>${esc(name)}</b>${info ? ` (${info.number})` : ''}</td><td class="num">${esc(n)}</td><td>${
            info
              ? `<b>${esc(info.meaning)}.</b><br>Cause: ${esc(info.cause)}.<br><b>Fix:</b> ${esc(info.fix)}.`
              : 'not an errno XDP Lab knows in the XDP context'
          }</td></tr>`,
        );
      }
      parts.push('</table>');
    }
  }
  parts.push(
    `<h2>Batched totals</h2><p>devmap xmit: sent ${esc(s.devmapXmit.sent)}, drops ${esc(s.devmapXmit.drops)} · cpumap enqueue: processed ${esc(
      s.cpumap.enqueue.processed,
    )}, drops ${esc(s.cpumap.enqueue.drops)} · kthread: processed ${esc(s.cpumap.kthread.processed)}, drops ${esc(s.cpumap.kthread.drops)}</p>`,
  );
  const flows = Object.values(s.flows);
  if (flows.length) {
    parts.push(
      '<h2>Flows</h2><table><tr><th>from</th><th>to</th><th class="num">redirected</th><th class="num">sent</th><th class="num">drops</th><th>errors</th></tr>',
    );
    for (const f of flows)
      parts.push(
        `<tr><td>${dev(f.ifindex)}</td><td>${dev(f.to_ifindex)}</td><td class="num">${esc(f.redirects)}</td><td class="num">${esc(f.sent)}</td><td class="num">${esc(
          f.drops,
        )}</td><td>${Object.entries(f.errors)
          .map(([k, v]) => `${esc(k)} × ${esc(v)}`)
          .join(', ')}</td></tr>`,
      );
    parts.push('</table>');
  }
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${esc(nonce)}' ${esc(cspSource)};">
<style nonce="${esc(nonce)}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em; }
table { border-collapse: collapse; margin-bottom: 1em; } td, th { border-bottom: 1px solid var(--vscode-panel-border); padding: 2px 8px; text-align: left; vertical-align: top; }
.num { text-align: right; font-variant-numeric: tabular-nums; } .dim { opacity: .7; } .warn { color: var(--vscode-editorWarning-foreground); }
</style></head><body>${parts.join('\n')}</body></html>`;
}
