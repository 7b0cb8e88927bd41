// The graph area of the panel: lays the graph out with ELK (again only when its shape or the panel's
// direction changed), draws it as SVG at the zoom asked (fit, or a factor), marks the nodes the
// timeline's current event concerns (boxes on a layer above the SVG: the graph is not repainted
// while the timeline plays), and the selection with its details.
import type { ELK } from 'elkjs/lib/elk-api';
import type { VisEvent } from '../../protocol/visualizer';
import { mount, patch } from './dom';
import type { Graph } from './graphModel';
import { graphView } from './graphView';
import { directionFor, layoutGraph, type Layout, type LayoutDirection } from './layout';
import { h, type VNode } from './vnode';

/** Below this zoom the graph's 12px text is no longer comfortably legible: scroll instead. */
const MIN_FIT_ZOOM = 0.72;

export class GraphPane {
  graph: Graph | undefined;
  layout: Layout | undefined;
  selected: string | undefined;
  zoom: number | 'fit' = 'fit';
  private layoutKey = '';
  private direction: LayoutDirection = 'RIGHT';
  /** The direction the panel's shape suggests (the layout may have picked the other one). */
  private preferred: LayoutDirection = 'RIGHT';

  /** Holds the SVG (or the "no simulation" line). */
  private readonly canvas: HTMLElement;
  /** The timeline's marks over the nodes the current event concerns. */
  private readonly marks: HTMLElement;
  private marked: readonly string[] = [];

  constructor(
    readonly el: HTMLElement,
    private readonly elk: ELK,
  ) {
    const doc = el.ownerDocument;
    this.canvas = doc.createElement('div');
    this.canvas.className = 'graph-canvas';
    this.marks = doc.createElement('div');
    this.marks.className = 'graph-marks';
    this.marks.setAttribute('aria-hidden', 'true');
    el.replaceChildren(this.canvas, this.marks);
  }

  /** True when the panel's shape now suggests the other flow direction (a resize). */
  wantsOtherDirection(): boolean {
    return directionFor(this.el.clientWidth || 1000, this.el.clientHeight || 700) !== this.preferred;
  }

  /**
   * Lays the graph out again when its shape or the flow direction changed (counts alone do not move
   * boxes). `streaming`: counts of a run in progress — a box that grew keeps its place until the
   * run's last snapshot (ELK on 64 devices is a second-long frame). Returns ELK's failure, if any.
   */
  async relayout(streaming = false): Promise<string | undefined> {
    if (!this.graph) return undefined;
    const graph = this.graph;
    const w = this.el.clientWidth || 1000;
    const hgt = this.el.clientHeight || 700;
    const preferred = directionFor(w, hgt);
    // Positions survive snapshots of the same topology (a long run's counts streaming in): a box
    // may widen by up to 24 px — less than the gap between layers — before ELK runs again.
    const key =
      preferred +
      graph.nodes.map((n) => `${n.id}:${n.height}`).join('|') +
      '#' +
      graph.edges.map((e) => `${e.from}>${e.to}`).join('|');
    const placed = this.layout?.nodes;
    const grown =
      !placed || (!streaming && graph.nodes.some((n) => n.width > (placed.get(n.id)?.width ?? 0) + 24));
    if (key === this.layoutKey && !grown) return undefined;
    this.layoutKey = key;
    this.preferred = preferred;
    try {
      let layout = await layoutGraph(graph, this.elk, preferred);
      let direction = preferred;
      // A small graph that would need scrolling in this shape of panel gets the other direction
      // too, and keeps whichever shows more of it at a legible zoom (cheap below 60 nodes).
      const fit = (l: Layout): number =>
        Math.min((w - 8) / Math.max(1, l.width), (hgt - 8) / Math.max(1, l.height));
      if (fit(layout) < MIN_FIT_ZOOM && graph.nodes.length <= 60) {
        const other: LayoutDirection = preferred === 'RIGHT' ? 'DOWN' : 'RIGHT';
        const alt = await layoutGraph(graph, this.elk, other);
        if (fit(alt) > fit(layout) * 1.1) {
          layout = alt;
          direction = other;
        }
      }
      this.layout = layout;
      this.direction = direction;
      return undefined;
    } catch (e) {
      return `layout failed: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /**
   * Draws the graph (or `empty` when there is none yet) and marks the event `ev` concerns. A graph
   * on screen is patched in place: counts streaming in rewrite a few texts, not the whole SVG.
   */
  render(empty: string, ev: VisEvent | undefined): void {
    if (!this.graph || !this.layout) {
      mount(this.canvas, h('p', { class: 'empty muted' }, empty));
      this.highlight(undefined);
      return;
    }
    const tree = graphView(this.graph, this.layout, this.selected ? { selected: this.selected } : {});
    const zoomed = { ...tree, attrs: { ...tree.attrs, ...this.zoomAttrs(this.layout) } };
    if (this.canvas.firstElementChild?.localName === 'svg') patch(this.canvas, zoomed);
    else mount(this.canvas, zoomed);
    this.marked = [];
    this.highlight(ev);
  }

  /** The drawn size and the data attributes tests read, at the current zoom. */
  private zoomAttrs(layout: Layout): Record<string, string> {
    const z = this.currentZoom();
    return {
      width: String(Math.ceil(layout.width * z)),
      height: String(Math.ceil(layout.height * z)),
      'data-zoom': z.toFixed(3),
      'data-direction': this.direction,
      'data-layout': layout.engine,
    };
  }

  private fitZoom(): number {
    if (!this.layout) return 1;
    const w = this.el.clientWidth || 1000;
    const hgt = this.el.clientHeight || 700;
    return Math.min(
      1.25,
      (w - 8) / Math.max(1, this.layout.width),
      (hgt - 8) / Math.max(1, this.layout.height),
    );
  }

  currentZoom(): number {
    return this.zoom === 'fit' ? Math.max(MIN_FIT_ZOOM, this.fitZoom()) : this.zoom;
  }

  setZoom(z: number): void {
    this.zoom = Math.max(0.1, Math.min(3, z));
    this.applyZoom();
  }

  fit(): void {
    this.zoom = 'fit';
    this.applyZoom();
  }

  applyZoom(): void {
    const el = this.canvas.querySelector('svg');
    if (!el || !this.layout) return;
    for (const [k, v] of Object.entries(this.zoomAttrs(this.layout))) el.setAttribute(k, v);
    this.placeMarks(this.marked);
  }

  /** Selects `id` (or clears the selection when it is selected already): class toggles, no re-render. */
  toggleSelected(id: string | undefined): void {
    this.selected = id === this.selected ? undefined : id;
    for (const n of Array.from(this.canvas.querySelectorAll('.node'))) {
      const on = (n as SVGElement).dataset.node === this.selected;
      n.classList.toggle('selected', on);
      n.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
  }

  /** The selected node's title, description and source link. */
  detailsView(): VNode {
    const n = this.selected ? this.graph?.nodes.find((x) => x.id === this.selected) : undefined;
    if (!n) return h('p', { class: 'muted hint' }, 'Select a node (click, or Tab then Enter) for details.');
    return h(
      'div',
      {},
      h('strong', {}, n.title),
      h('p', {}, n.aria),
      n.source &&
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            'data-action': 'open-source',
            'data-file': n.source.file,
            'data-line': n.source.line,
          },
          `Open ${n.source.file}:${n.source.line}`,
        ),
    );
  }

  /** Marks the graph nodes the event at the cursor concerns (cheap: boxes moved on their own layer). */
  highlight(ev: VisEvent | undefined): void {
    const ids: string[] = [];
    if (ev) {
      if ('device' in ev) ids.push(`dev:${ev.device}`);
      if (ev.k === 'run' && ev.redirect) {
        ids.push(ev.redirect.target);
        if (ev.redirect.map) ids.push(`map:${ev.redirect.map}:${ev.redirect.key}`);
      }
      if (ev.k === 'enqueue' || ev.k === 'xmit' || ev.k === 'kthread') {
        const m = /^dev:([^@]+)/.exec(ev.queue);
        if (m) ids.push(`dev:${m[1]}`);
        const c = /^cpumap:(?:[^[]*\[)?(\d+)/.exec(ev.queue);
        if (c) ids.push(`cpu:${c[1]}`);
      }
      if (ev.k === 'drop')
        for (const n of this.graph?.nodes ?? []) if (n.id.startsWith(`drop:${ev.device}:`)) ids.push(n.id);
    }
    if (ids.length === this.marked.length && ids.every((id, i) => id === this.marked[i])) return;
    this.marked = ids;
    this.placeMarks(ids);
  }

  /** One box per marked node that is drawn, at its place and size at the current zoom. */
  private placeMarks(ids: readonly string[]): void {
    const z = this.currentZoom();
    const boxes: { x: number; y: number; w: number; h: number; id: string }[] = [];
    for (const id of ids) {
      const p = this.layout?.nodes.get(id);
      const n = this.graph?.nodes.find((x) => x.id === id);
      if (p && n) boxes.push({ x: p.x * z, y: p.y * z, w: n.width * z, h: n.height * z, id });
    }
    const doc = this.el.ownerDocument;
    while (this.marks.children.length > boxes.length) this.marks.lastElementChild?.remove();
    while (this.marks.children.length < boxes.length) {
      const d = doc.createElement('div');
      d.className = 'graph-mark';
      this.marks.appendChild(d);
    }
    boxes.forEach((b, i) => {
      const d = this.marks.children[i] as HTMLElement;
      d.dataset.mark = b.id;
      d.style.transform = `translate(${Math.round(b.x - 3)}px, ${Math.round(b.y - 3)}px)`;
      d.style.width = `${Math.round(b.w + 6)}px`;
      d.style.height = `${Math.round(b.h + 6)}px`;
    });
  }
}
