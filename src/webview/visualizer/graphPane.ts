// The graph area of the panel: lays the graph out (layeredLayout.ts at once, then ELK's from its
// worker; again only when its shape or the panel's direction changed), draws it as SVG at the zoom
// asked (fit, or a factor), marks the nodes the timeline's current event concerns (boxes on a layer
// above the SVG: the graph is not repainted while the timeline plays), and the selection.
import type { ELK } from 'elkjs/lib/elk-api';
import type { VisEvent } from '../../protocol/visualizer';
import { mount, patchChildrenFrom, patchFrom } from './dom';
import type { Graph } from './graphModel';
import { graphView } from './graphView';
import { WORKER_FAILED } from './elkInWorker';
import {
  directionFor,
  layoutGraph,
  quickLayout,
  wantsElk,
  type Layout,
  type LayoutDirection,
} from './layout';
import { measureSince } from './timing';
import { h, type VChild, type VNode } from './vnode';

/** Below this zoom the graph's 12px text is no longer comfortably legible: scroll instead. */
const MIN_FIT_ZOOM = 0.72;

/**
 * Edges patched per animation frame when a run's counts stream in: a 64-device graph's update
 * rewrote ~600 edge labels in one frame (a 60-80 ms task of SVG layout and paint); spread over
 * frames of 150, the counts are all new four frames later.
 */
const EDGES_PER_FRAME = 150;

/** An edge patch spread over frames: the tree it ends at, and how far it got. */
interface Spread {
  target: VNode;
  /** Index of the edges' group among the svg's children. */
  at: number;
  group: Element;
  prev: readonly VChild[];
  next: readonly VChild[];
  done: number;
  frame: number;
  finished: () => void;
}

/** `tree` with the children of its child `at` replaced. */
const withChildrenAt = (tree: VNode, at: number, children: readonly VChild[]): VNode => ({
  ...tree,
  children: tree.children.map((c, i) => (i === at && typeof c !== 'string' ? { ...c, children } : c)),
});

/** A graph shape for ELK, with the pane's size and direction when it was asked. */
interface ElkRequest {
  key: string;
  graph: Graph;
  w: number;
  h: number;
  preferred: LayoutDirection;
}

const other = (d: LayoutDirection): LayoutDirection => (d === 'RIGHT' ? 'DOWN' : 'RIGHT');

/** The zoom at which `layout` fits a w×h pane. */
const fitOf = (layout: Layout, w: number, h: number): number =>
  Math.min((w - 8) / Math.max(1, layout.width), (h - 8) / Math.max(1, layout.height));

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
  /** The tree the SVG on screen was made from (patchFrom compares with it), if nothing touched it since. */
  private drawn: VNode | undefined;
  /**
   * The pane's client size, read once and again only after a resize: reading clientWidth after the
   * DOM changed forces a synchronous layout of the whole page, and the timeline's marks asked for it
   * on every animation frame (a 30-40 ms forced layout per frame at 64 devices, issue 16 goal 5).
   */
  private area: { w: number; h: number } | undefined;
  /** A counts update whose edges are still being patched, a chunk per animation frame. */
  private spread: Spread | undefined;
  private spreadDone: Promise<void> = Promise.resolve();
  /** The layout the SVG on screen was drawn with. */
  private drawnLayout: Layout | undefined;

  constructor(
    readonly el: HTMLElement,
    /** Undefined: no worker for ELK in this page; graphs get layeredLayout.ts. */
    private readonly elk: ELK | undefined,
    /** ELK's layout replaced the one on screen (or failed, with why): draw again. */
    private readonly onLayout: (failure: string | undefined) => void,
  ) {
    const doc = el.ownerDocument;
    this.canvas = doc.createElement('div');
    this.canvas.className = 'graph-canvas';
    this.marks = doc.createElement('div');
    this.marks.className = 'graph-marks';
    this.marks.setAttribute('aria-hidden', 'true');
    el.replaceChildren(this.canvas, this.marks);
  }

  /** The pane's size (a 1000×700 guess before the page is laid out). */
  private size(): { w: number; h: number } {
    if (this.area) return this.area;
    const w = this.el.clientWidth;
    const h = this.el.clientHeight;
    if (!w || !h) return { w: w || 1000, h: h || 700 };
    return (this.area = { w, h });
  }

  /** The pane was resized: its size is read again when next needed. */
  resized(): void {
    this.area = undefined;
  }

  /** True when the panel's shape now suggests the other flow direction (a resize). */
  wantsOtherDirection(): boolean {
    const { w, h } = this.size();
    return directionFor(w, h) !== this.preferred;
  }

  /**
   * Lays the graph out again when its shape or the flow direction changed (counts alone do not move
   * boxes). `streaming`: counts of a run in progress — a box that grew keeps its place until the
   * run's last snapshot. Never waits for ELK: a graph whose nodes the layout on screen does not all
   * place (the first one, a node that appeared) gets layeredLayout.ts's layout now, and ELK's
   * replaces it when ELK's worker answers (`onLayout`), so no layout is a long page frame.
   */
  relayout(streaming = false): void {
    if (!this.graph) return;
    const graph = this.graph;
    const { w, h } = this.size();
    const preferred = directionFor(w, h);
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
    if (key === this.layoutKey && !grown) return;
    this.layoutKey = key;
    this.preferred = preferred;
    const elk = wantsElk(graph, this.elk);
    if (!elk || !placed || graph.nodes.some((n) => !placed.has(n.id))) {
      const t0 = performance.now();
      let layout = quickLayout(graph, preferred);
      let direction = preferred;
      if (this.triesOther(graph, layout, w, h)) {
        const alt = quickLayout(graph, other(preferred));
        if (fitOf(alt, w, h) > fitOf(layout, w, h) * 1.1) {
          layout = alt;
          direction = other(preferred);
        }
      }
      this.layout = layout;
      this.direction = direction;
      measureSince('layout', t0, { engine: 'layered', nodes: graph.nodes.length });
    }
    if (elk) {
      this.elkWanted = { key, graph, w, h, preferred };
      if (!this.elkBusy) this.elkDone = this.elkLoop();
    }
  }

  /** A small graph that would need scrolling in this shape of panel is laid out the other way too. */
  private triesOther(graph: Graph, layout: Layout, w: number, h: number): boolean {
    return fitOf(layout, w, h) < MIN_FIT_ZOOM && graph.nodes.length <= 60;
  }

  /** The latest graph shape waiting for ELK (older ones are skipped), and whether ELK is busy. */
  private elkWanted: ElkRequest | undefined;
  private elkBusy = false;
  private elkDone: Promise<void> = Promise.resolve();

  /** Lays out the latest wanted shape with ELK, one at a time; swaps the result in if still current. */
  private async elkLoop(): Promise<void> {
    this.elkBusy = true;
    try {
      for (let req = this.elkWanted; req; req = this.elkWanted) {
        this.elkWanted = undefined;
        let failure: string | undefined;
        let layout: Layout | undefined;
        let direction = req.preferred;
        const t0 = performance.now();
        try {
          layout = await layoutGraph(req.graph, this.elk, req.preferred);
          // Keeps whichever direction shows more of it at a legible zoom (cheap below 60 nodes).
          if (this.triesOther(req.graph, layout, req.w, req.h)) {
            const alt = await layoutGraph(req.graph, this.elk, other(req.preferred));
            if (fitOf(alt, req.w, req.h) > fitOf(layout, req.w, req.h) * 1.1) {
              layout = alt;
              direction = other(req.preferred);
            }
          }
        } catch (e) {
          failure = e instanceof Error ? e.message : String(e);
        }
        // Wall time, not page time: ELK ran in its worker.
        measureSince('elk', t0, { nodes: req.graph.nodes.length, ...(failure ? { failure } : {}) });
        if (req.key !== this.layoutKey) continue; // the graph changed shape meanwhile
        if (layout) {
          this.layout = layout;
          this.direction = direction;
        } else if (failure?.startsWith(WORKER_FAILED)) {
          // No ELK in this page: layeredLayout.ts's layout stays, and is made for this shape.
          this.layout = quickLayout(req.graph, req.preferred);
          this.direction = req.preferred;
          failure = undefined;
        }
        this.onLayout(failure === undefined ? undefined : `layout failed: ${failure}`);
      }
    } finally {
      this.elkBusy = false;
    }
  }

  /** Resolves once ELK has no layout in progress or waiting (tests and the benchmark wait on it). */
  async settled(): Promise<void> {
    await this.elkDone;
    await this.spreadDone;
  }

  /**
   * Draws the graph (or `empty` when there is none yet) and marks the event `ev` concerns. A graph
   * on screen is patched in place: counts streaming in rewrite a few texts, not the whole SVG.
   * `counts`: only counts changed (didUpdate) — a large graph's edges are patched over the next
   * frames, EDGES_PER_FRAME at a time, its nodes at once.
   */
  render(empty: string, ev: VisEvent | undefined, counts = false): void {
    this.finishSpread();
    if (!this.graph || !this.layout) {
      mount(this.canvas, h('p', { class: 'empty muted' }, empty));
      this.drawn = undefined;
      this.highlight(undefined);
      return;
    }
    const tree = graphView(this.graph, this.layout, this.selected ? { selected: this.selected } : {});
    const zoomed = { ...tree, attrs: { ...tree.attrs, ...this.zoomAttrs(this.layout) } };
    const svg = this.canvas.firstElementChild;
    if (svg?.localName !== 'svg') mount(this.canvas, zoomed);
    else if (!(counts && this.startSpread(svg, zoomed))) patchFrom(this.canvas, this.drawn, zoomed);
    if (!this.spread) this.drawn = zoomed;
    this.drawnLayout = this.layout;
    this.marked = [];
    this.highlight(ev);
  }

  /**
   * Patches all but the edges now and the edges over the next frames, when the drawn tree has the
   * same edges (a counts update) and more than a frame's worth of them; false otherwise.
   */
  private startSpread(svg: Element, target: VNode): boolean {
    const drawn = this.drawn;
    // Boxes that moved (a new layout) take their edges along at once.
    if (this.layout !== this.drawnLayout) return false;
    const at = target.children.findIndex((c) => typeof c !== 'string' && c.attrs.class === 'edges');
    const before = drawn?.children[at];
    const after = target.children[at];
    const group = svg.childNodes[at];
    if (!drawn || at < 0 || typeof before !== 'object' || typeof after !== 'object') return false;
    if (!group || group.nodeType !== 1 || drawn.children.length !== target.children.length) return false;
    const prev = before.children;
    const next = after.children;
    if (next.length <= EDGES_PER_FRAME || prev.length !== next.length) return false;
    if (group.childNodes.length !== prev.length) return false;
    const now = withChildrenAt(target, at, prev);
    patchFrom(this.canvas, drawn, now);
    this.drawn = now;
    let finished = (): void => {};
    this.spreadDone = new Promise<void>((resolve) => (finished = resolve));
    const spread: Spread = { target, at, group: group as Element, prev, next, done: 0, frame: 0, finished };
    this.spread = spread;
    const step = (): void => {
      if (this.spread !== spread) return;
      const to = Math.min(next.length, spread.done + EDGES_PER_FRAME);
      patchChildrenFrom(spread.group, prev, next, spread.done, to);
      spread.done = to;
      if (to < next.length) spread.frame = requestAnimationFrame(step);
      else this.endSpread(spread);
    };
    spread.frame = requestAnimationFrame(step);
    return true;
  }

  /** Patches what is left of a spread edge patch now (before anything else touches the SVG). */
  private finishSpread(): void {
    const spread = this.spread;
    if (!spread) return;
    cancelAnimationFrame(spread.frame);
    patchChildrenFrom(spread.group, spread.prev, spread.next, spread.done, spread.next.length);
    this.endSpread(spread);
  }

  private endSpread(spread: Spread): void {
    this.spread = undefined;
    // Unless something set drawn aside meanwhile (it then no longer says what the DOM holds).
    if (this.drawn) this.drawn = spread.target;
    spread.finished();
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
    const { w, h: hgt } = this.size();
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
    this.finishSpread();
    const el = this.canvas.querySelector('svg');
    if (!el || !this.layout) return;
    // Only what changed is written, and the drawn tree says so too: the panel's ResizeObserver calls
    // this whenever the header's counters reflow, and rewriting the svg's width and height with the
    // same values laid out its 3,000 elements again (a 20-30 ms layout after each counts update),
    // and left the next update nothing to diff against.
    const attrs = this.zoomAttrs(this.layout);
    for (const [k, v] of Object.entries(attrs)) if (el.getAttribute(k) !== v) el.setAttribute(k, v);
    if (this.drawn) this.drawn = { ...this.drawn, attrs: { ...this.drawn.attrs, ...attrs } };
    this.placeMarks(this.marked);
  }

  /** Selects `id` (or clears the selection when it is selected already): class toggles, no re-render. */
  toggleSelected(id: string | undefined): void {
    this.selected = id === this.selected ? undefined : id;
    this.finishSpread();
    this.drawn = undefined; // classes changed in the DOM, not in the drawn tree
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
