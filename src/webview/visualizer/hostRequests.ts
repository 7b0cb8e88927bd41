// What the panel sends with its requests to the host: the traffic edits of the Traffic tab's form
// (applied to the re-run in memory) and the content of an export made in the page (SVG, PNG, events).
import type { TrafficEdit, VisModel } from '../../protocol/visualizer';
import { graphSvgText, resolvedGraphCss, svgToPngBase64 } from './exportGraph';
import type { Graph } from './graphModel';
import type { Layout } from './layout';

/** The Traffic form's fields per traffic entry; an empty field leaves the scenario's value. */
export function trafficEdits(form: HTMLFormElement): TrafficEdit[] {
  const edits = [];
  for (const fs of Array.from(form.querySelectorAll<HTMLFieldSetElement>('fieldset[data-traffic]'))) {
    const index = Number(fs.dataset.traffic);
    const val = (name: string): string | undefined =>
      fs.querySelector<HTMLInputElement>(`input[name="${name}"]`)?.value;
    const num = (name: string): number | undefined => {
      const v = val(name);
      return v === undefined || v === '' ? undefined : Number(v);
    };
    const edit: TrafficEdit = { index };
    const count = num('count');
    const burst = num('burst');
    const dport = num('dport');
    const dst = val('dst');
    if (count !== undefined) edit.count = count;
    if (burst !== undefined) edit.burst = burst;
    if (dport !== undefined) edit.dport = dport;
    if (dst !== undefined) edit.dst = dst;
    edits.push(edit);
  }
  return edits;
}

export type ExportKind = 'svg' | 'png' | 'events' | 'pcap';

/** The export's content made in the page; undefined for pcap (the host builds it) or nothing to export. */
export async function exportContent(
  kind: ExportKind,
  graph: Graph | undefined,
  layout: Layout | undefined,
  model: VisModel | undefined,
): Promise<string | undefined> {
  if ((kind === 'svg' || kind === 'png') && graph && layout) {
    const svg = graphSvgText(graph, layout, resolvedGraphCss(document));
    return kind === 'svg' ? svg : await svgToPngBase64(svg, layout.width, layout.height);
  }
  if (kind === 'events' && model)
    return model.timeline.map((ev, t) => JSON.stringify({ t, ...ev })).join('\n') + '\n';
  return undefined;
}
