// Draws a laid-out graph as an SVG tree: nodes are focusable buttons with screen-reader labels,
// edges are arrows whose width grows with their frame count, drops are red and carry their errno.
// The same tree is mounted in the panel and serialized for the SVG/PNG export.
import type { Graph, GraphNode } from './graphModel';
import type { Layout } from './layout';
import { s, type VNode } from './vnode';

export interface GraphViewOptions {
  selected?: string;
  /** Inline CSS for a standalone file (the export); the panel uses media/visualizer.css instead. */
  embeddedStyle?: string;
}

const r1 = (n: number): number => Math.round(n * 10) / 10;

function nodeView(n: GraphNode, x: number, y: number, selected: boolean): VNode {
  const cls = [
    'node',
    `node-${n.kind}`,
    n.danger ? 'danger' : '',
    n.muted ? 'muted' : '',
    n.mismatch ? 'mismatch' : '',
    n.warn ? 'warn' : '',
    selected ? 'selected' : '',
  ]
    .filter(Boolean)
    .join(' ');
  return s(
    'g',
    {
      class: cls,
      transform: `translate(${r1(x)},${r1(y)})`,
      tabindex: 0,
      role: 'button',
      'aria-label': n.aria,
      'aria-pressed': selected ? 'true' : 'false',
      'data-node': n.id,
      'data-action': 'select-node',
    },
    s('rect', { class: 'node-box', width: n.width, height: n.height, rx: n.kind === 'device' ? 3 : 8 }),
    s('text', { class: 'node-title', x: 10, y: 17 }, n.title),
    n.lines.map((l, i) => s('text', { class: 'node-line', x: 10, y: 34 + i * 15 }, l)),
    n.program && programBand(n.program, 26 + n.lines.length * 15 + 6, n.width),
  );
}

function programBand(p: NonNullable<GraphNode['program']>, y: number, width: number): VNode {
  return s(
    'g',
    { class: 'node-prog' },
    s('rect', {
      class: 'node-prog-box',
      x: 4,
      y,
      width: width - 8,
      height: 8 + (p.lines.length + (p.warn ? 2 : 1)) * 15 - 4,
      rx: 4,
    }),
    s('text', { class: 'node-prog-title', x: 10, y: y + 15 }, p.name),
    p.lines.map((l, i) => s('text', { class: 'node-line', x: 10, y: y + 30 + i * 15 }, l)),
    p.warn && s('text', { class: 'node-warn', x: 10, y: y + 30 + p.lines.length * 15 }, p.warn),
  );
}

export function graphView(graph: Graph, layout: Layout, opts: GraphViewOptions = {}): VNode {
  const w = Math.max(1, Math.ceil(layout.width));
  const h = Math.max(1, Math.ceil(layout.height));
  const edges = graph.edges.flatMap((e) => {
    const placed = layout.edges.get(e.id);
    if (!placed || placed.points.length < 2) return [];
    const d = placed.points.map((p, i) => `${i ? 'L' : 'M'}${r1(p.x)} ${r1(p.y)}`).join(' ');
    const cls = [
      'edge',
      `edge-${e.kind}`,
      e.danger ? 'danger' : '',
      e.idle ? 'idle' : '',
      e.mismatch ? 'mismatch' : '',
    ]
      .filter(Boolean)
      .join(' ');
    const lp = placed.label;
    return [
      s(
        'g',
        {
          class: cls,
          'data-edge': e.id,
          'data-from': e.from,
          'data-to': e.to,
          'data-frames': e.frames,
          ...(e.observed !== undefined ? { 'data-observed': e.observed } : {}),
          role: 'img',
          'aria-label': e.aria,
        },
        s('path', {
          class: 'edge-line',
          d,
          fill: 'none',
          'stroke-width': r1(e.weight),
          'marker-end': e.danger ? 'url(#arrow-danger)' : 'url(#arrow)',
        }),
        lp &&
          e.label && [
            s('rect', {
              class: 'edge-label-bg',
              x: r1(lp.x - e.labelWidth / 2),
              y: r1(lp.y - 8),
              width: e.labelWidth,
              height: 15,
              rx: 3,
            }),
            s(
              'text',
              { class: 'edge-label', x: r1(lp.x), y: r1(lp.y + 4), 'text-anchor': 'middle' },
              e.label,
            ),
          ],
      ),
    ];
  });
  const nodes = graph.nodes.flatMap((n) => {
    const p = layout.nodes.get(n.id);
    return p ? [nodeView(n, p.x, p.y, opts.selected === n.id)] : [];
  });
  const marker = (id: string, cls: string): VNode =>
    s(
      'marker',
      {
        id,
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto-start-reverse',
        markerUnits: 'userSpaceOnUse',
      },
      s('path', { class: cls, d: 'M0 0 L10 5 L0 10 z' }),
    );
  return s(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      class: 'graph',
      viewBox: `0 0 ${w} ${h}`,
      width: w,
      height: h,
      role: 'group',
      'aria-label': `Redirect flow graph: ${graph.nodes.length} nodes, ${graph.edges.length} flows`,
    },
    s(
      'defs',
      {},
      marker('arrow', 'arrow-head'),
      marker('arrow-danger', 'arrow-head danger'),
      opts.embeddedStyle && s('style', {}, opts.embeddedStyle),
    ),
    s('g', { class: 'edges' }, edges),
    s('g', { class: 'nodes' }, nodes),
  );
}
