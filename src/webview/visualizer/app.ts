// The visualizer panel's controller: holds the view state (model, cursor, tab, selection, zoom),
// renders the pure views into the page, binds input by delegation (data-action attributes), plays
// the timeline with requestAnimationFrame, and talks to the host only through the typed endpoint.
import type { ELK } from 'elkjs/lib/elk-api';
import {
  visPersistedState,
  visualizerProtocol as P,
  type TraceReply,
  type VisCounts,
  type VisModel,
  type VisPersistedState,
  type VisStatus,
} from '../../protocol/visualizer';
import type { Endpoint } from '../../protocol/webviewEndpoint';
import { headlineCounters } from './counters';
import { mount, toDom } from './dom';
import { dropsView } from './dropsView';
import { graphSvgText, resolvedGraphCss, svgToPngBase64 } from './exportGraph';
import { frameView } from './frameView';
import { buildGraph, formatCount, formatVersus, type Graph } from './graphModel';
import { graphView } from './graphView';
import { directionFor, layoutGraph, type Layout, type LayoutDirection } from './layout';
import { frameJourneys, TimelineIndex, type FrameJourney } from './timeline';
import { timelineView } from './timelineView';
import { trafficView } from './trafficView';
import { h, type VNode } from './vnode';

export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

type Tab = 'drops' | 'timeline' | 'frame' | 'traffic';
const tabs: ReadonlyArray<[Tab, string]> = [
  ['drops', 'Drops'],
  ['timeline', 'Timeline'],
  ['frame', 'Frame'],
  ['traffic', 'Traffic'],
];
const speeds = [10, 50, 200, 1000, 5000];
/** Below this zoom the graph's 12px text is no longer comfortably legible: scroll instead. */
const MIN_FIT_ZOOM = 0.72;

export class VisualizerApp {
  private model: VisModel | undefined;
  private status: VisStatus = { state: 'empty', message: 'Waiting for the extension…' };
  /**
   * Re-run was clicked and the host has not said "running" yet. A snapshot the host sent before it
   * saw the click (the answer to this page's `ready` when the first run ended while the page was
   * loading) still carries "ready": it must not end the run the user just started on screen.
   */
  private awaitingRun = false;
  /** The controls were last drawn with Stop in place of Re-run (a run was in progress). */
  private controlsShowStop = false;
  private graph: Graph | undefined;
  private layout: Layout | undefined;
  private layoutKey = '';
  private direction: LayoutDirection = 'RIGHT';
  /** The direction the panel's shape suggests (the layout may have picked the other one). */
  private preferred: LayoutDirection = 'RIGHT';
  private index: TimelineIndex | undefined;
  private journeys = new Map<number, FrameJourney>();
  private timelineFp = '';
  private trace: TraceReply | undefined;
  private insn = 0;
  private shownLine = 0;
  private lineChain: Promise<void> = Promise.resolve();
  /** Milliseconds the last snapshot spent per phase (read by the benchmark). */
  timings: Record<'graph' | 'timeline' | 'layout' | 'render', number> = {
    graph: 0,
    timeline: 0,
    layout: 0,
    render: 0,
  };
  private t = -1;
  private tab: Tab = 'drops';
  private frame = 0;
  private selected: string | undefined;
  private zoom: number | 'fit' = 'fit';
  private playing = false;
  private speed = 50;
  private lastTick = 0;
  private carry = 0;
  private renderedT = Number.NaN;
  private readonly els: Record<
    'title' | 'status' | 'warnings' | 'counters' | 'controls' | 'graph' | 'details' | 'tabs' | 'panel',
    HTMLElement
  >;
  /** Resolves when the first graph is on screen (the benchmark and tests wait for it). */
  readonly firstRender: Promise<void>;
  private resolveFirstRender!: () => void;

  constructor(
    private readonly root: HTMLElement,
    private readonly endpoint: Endpoint,
    private readonly api: VsCodeApi,
    private readonly elk: ELK,
  ) {
    this.firstRender = new Promise((r) => (this.resolveFirstRender = r));
    const restored = api.getState();
    if (visPersistedState.check(restored, 'state') === undefined) this.restore(restored as VisPersistedState);
    root.replaceChildren(
      toDom(
        h(
          'div',
          { class: 'app' },
          h(
            'header',
            { class: 'bar' },
            h(
              'div',
              { class: 'title-row' },
              h('h1', { id: 'title' }, 'Redirect flow'),
              h('span', { id: 'status', role: 'status', 'aria-live': 'polite' }),
            ),
            h('div', { id: 'warnings', class: 'warnings', role: 'alert' }),
            h('div', { id: 'counters', class: 'counters', role: 'list', 'aria-label': 'Counters' }),
            h('div', { id: 'controls', class: 'controls', role: 'toolbar', 'aria-label': 'Controls' }),
          ),
          h(
            'main',
            { class: 'body' },
            h('div', { id: 'graph', class: 'graph-wrap', tabindex: -1, 'aria-label': 'Flow graph' }),
            h(
              'aside',
              { class: 'side' },
              h('div', { id: 'details', class: 'details', 'aria-live': 'polite' }),
              h('div', { id: 'tabs', class: 'tabs', role: 'tablist', 'aria-label': 'Panels' }),
              h('div', { id: 'panel', class: 'panel', role: 'tabpanel', tabindex: 0 }),
            ),
          ),
        ),
      ),
    );
    const q = (id: string): HTMLElement => root.querySelector(`#${id}`) as HTMLElement;
    this.els = {
      title: q('title'),
      status: q('status'),
      warnings: q('warnings'),
      counters: q('counters'),
      controls: q('controls'),
      graph: q('graph'),
      details: q('details'),
      tabs: q('tabs'),
      panel: q('panel'),
    };
    this.bind();
    endpoint.onNotification(
      P.didSnapshot,
      ({ model, status }) => void this.setModel(model, this.hostStatus(status) ?? this.status),
    );
    endpoint.onNotification(
      P.didUpdate,
      ({ counts, status }) => void this.updateCounts(counts, this.hostStatus(status)),
    );
    endpoint.onNotification(P.didStatus, (status) => {
      this.status = this.hostStatus(status) ?? this.status;
      this.renderStatus();
    });
    this.renderAll();
  }

  /** The host's status as this page shows it: undefined while a Re-run click awaits the host's "running". */
  private hostStatus(status: VisStatus | undefined): VisStatus | undefined {
    if (!status) return undefined;
    if (this.awaitingRun) {
      if (status.state !== 'running' && status.state !== 'error') return undefined;
      this.awaitingRun = false;
    }
    return status;
  }

  /** Tells the host the script runs; it answers with a snapshot. */
  ready(): void {
    this.endpoint.sendNotification(P.ready, {});
  }

  private restore(s: VisPersistedState): void {
    if (s.tab) this.tab = s.tab;
    if (s.t !== undefined) this.t = s.t;
    if (s.frame !== undefined) this.frame = s.frame;
  }

  private persist(): void {
    const state: VisPersistedState = { tab: this.tab, t: Math.max(0, this.t), frame: this.frame };
    if (this.model?.scenario) state.scenario = this.model.scenario;
    if (this.model?.observed) state.compared = true;
    if (this.model?.observed?.file) state.capture = this.model.observed.file;
    this.api.setState(state);
  }

  async setModel(model: VisModel, status: VisStatus): Promise<void> {
    const t0 = performance.now();
    this.model = model;
    this.status = status;
    this.graph = buildGraph(model);
    const t1 = performance.now();
    // A snapshot with the same timeline (a long run's counts streaming in) keeps the index.
    const fp = timelineFingerprint(model);
    if (fp !== this.timelineFp || !this.index) {
      this.timelineFp = fp;
      this.index = new TimelineIndex(model.timeline, model.cpus);
      this.journeys = frameJourneys(model.timeline);
    }
    if (!this.journeys.has(this.frame)) {
      const first = this.journeys.keys().next();
      this.frame = first.done ? 0 : first.value; // the first frame the timeline mentions
    }
    this.t = Math.min(this.t, model.timeline.length - 1);
    const t2 = performance.now();
    await this.relayout(false);
    const t3 = performance.now();
    this.renderAll();
    this.persist();
    this.timings = { graph: t1 - t0, timeline: t2 - t1, layout: t3 - t2, render: performance.now() - t3 };
    this.resolveFirstRender();
  }

  /** New counts for the model on screen: the graph is rebuilt (cheap), layout and timeline kept. */
  async updateCounts(counts: VisCounts, status?: VisStatus): Promise<void> {
    const m = this.model;
    if (!m) return;
    for (const d of m.devices) {
      const c = counts.devices[d.name];
      if (c) d.counters = c;
    }
    for (const x of m.xsks) x.received = counts.xsks?.[x.name] ?? x.received;
    m.flows = counts.flows;
    m.drops = counts.drops;
    m.summary = counts.summary;
    if (status) this.status = status;
    this.graph = buildGraph(m);
    await this.relayout(false);
    this.renderStatus();
    this.renderCounters();
    this.renderGraph();
    this.renderTabs();
    if (this.tab === 'drops') this.renderPanel();
  }

  /** Lays the graph out again when its shape or the flow direction changed (counts alone do not move boxes). */
  private async relayout(render: boolean): Promise<void> {
    if (!this.graph) return;
    const w = this.els.graph.clientWidth || 1000;
    const hgt = this.els.graph.clientHeight || 700;
    const preferred = directionFor(w, hgt);
    // Positions survive snapshots of the same topology (a long run's counts streaming in): a box
    // may widen by up to 24 px — less than the gap between layers — before ELK runs again.
    const key =
      preferred +
      this.graph.nodes.map((n) => `${n.id}:${n.height}`).join('|') +
      '#' +
      this.graph.edges.map((e) => `${e.from}>${e.to}`).join('|');
    const placed = this.layout?.nodes;
    const grown = !placed || this.graph.nodes.some((n) => n.width > (placed.get(n.id)?.width ?? 0) + 24);
    if (key === this.layoutKey && !grown) return;
    this.layoutKey = key;
    this.preferred = preferred;
    try {
      let layout = await layoutGraph(this.graph, this.elk, preferred);
      let direction = preferred;
      // A small graph that would need scrolling in this shape of panel gets the other direction
      // too, and keeps whichever shows more of it at a legible zoom (cheap below 60 nodes).
      const fit = (l: Layout): number =>
        Math.min((w - 8) / Math.max(1, l.width), (hgt - 8) / Math.max(1, l.height));
      if (fit(layout) < MIN_FIT_ZOOM && this.graph.nodes.length <= 60) {
        const other: LayoutDirection = preferred === 'RIGHT' ? 'DOWN' : 'RIGHT';
        const alt = await layoutGraph(this.graph, this.elk, other);
        if (fit(alt) > fit(layout) * 1.1) {
          layout = alt;
          direction = other;
        }
      }
      this.layout = layout;
      this.direction = direction;
    } catch (e) {
      this.status = {
        state: 'error',
        message: `layout failed: ${e instanceof Error ? e.message : String(e)}`,
      };
    }
    if (render) {
      this.renderGraph();
      this.renderStatus();
    }
  }

  // ---- rendering --------------------------------------------------------------------------

  private renderAll(): void {
    this.renderStatus();
    this.renderCounters();
    this.renderControls();
    this.renderGraph();
    this.renderDetails();
    this.renderTabs();
    this.renderPanel();
  }

  private renderStatus(): void {
    this.els.title.textContent = this.model
      ? this.model.observed
        ? `${this.model.title} — predicted / observed on ${this.model.observed.title}`
        : this.model.title
      : 'Redirect flow';
    const s = this.status;
    this.els.status.textContent =
      s.state === 'ready' ? (s.message ?? '') : `${s.state}${s.message ? `: ${s.message}` : ''}`;
    this.els.status.className = `status status-${s.state}`;
    // E.g. a program the kernel's verifier would reject: it runs here anyway, and the banner says so.
    mount(
      this.els.warnings,
      h('div', {}, ...(this.model?.warnings ?? []).map((w) => h('p', { class: 'warning' }, `⚠ ${w}`))),
    );
    // Re-run turns into Stop while the host runs the scenario.
    const running = s.state === 'running';
    if (running !== this.controlsShowStop) this.renderControls();
  }

  private renderCounters(): void {
    if (!this.model) return mount(this.els.counters, h('span', { class: 'muted' }, 'no run yet'));
    const items = headlineCounters(this.model).map((c) =>
      h(
        'span',
        {
          class: `counter${c.danger ? ' danger' : ''}${c.observed !== undefined && c.observed !== c.value ? ' mismatch' : ''}`,
          role: 'listitem',
          title: c.observed === undefined ? c.hint : `${c.hint} — predicted / observed`,
          'aria-label':
            c.observed === undefined
              ? `${c.label}: ${c.value}`
              : `${c.label}: ${c.value} predicted, ${c.observed} observed`,
        },
        h(
          'span',
          {
            class: 'counter-value',
            'data-counter': c.key,
            'data-value': c.value,
            ...(c.observed !== undefined ? { 'data-observed': c.observed } : {}),
          },
          formatVersus(c.value, c.observed),
        ),
        h('span', { class: 'counter-label' }, c.label),
      ),
    );
    this.els.counters.replaceChildren(...items.map((n) => toDom(n)));
  }

  private renderControls(): void {
    this.controlsShowStop = this.status.state === 'running';
    const btn = (
      action: string,
      label: string,
      aria: string,
      extra: Record<string, string | boolean | undefined> = {},
    ): VNode =>
      h(
        'button',
        { type: 'button', 'data-action': action, 'aria-label': aria, title: aria, ...extra },
        label,
      );
    const noTimeline = !this.model?.timeline.length;
    const ctl = h(
      'div',
      { class: 'controls-inner' },
      btn('step-back', '‹ back', 'Step back one event (←)', { disabled: noTimeline }),
      btn(
        'play',
        this.playing ? '⏸ Pause' : '▶ Run',
        this.playing ? 'Pause (Space)' : 'Play the timeline (Space)',
        { disabled: noTimeline, 'aria-pressed': this.playing ? 'true' : 'false' },
      ),
      btn('step', 'step ›', 'Step one event (→)', { disabled: noTimeline }),
      h(
        'label',
        { class: 'speed' },
        'speed ',
        h(
          'select',
          { 'data-action': 'speed', 'aria-label': 'Playback speed in events per second' },
          speeds.map((s) => h('option', { value: s, selected: s === this.speed }, `${s}/s`)),
        ),
      ),
      h('span', { class: 'sep' }),
      btn('zoom-out', '−', 'Zoom out (-)'),
      btn('zoom-fit', 'fit', 'Fit the graph (f)'),
      btn('zoom-in', '+', 'Zoom in (+)'),
      h('span', { class: 'sep' }),
      this.status.state === 'running'
        ? btn('stop', '■ Stop', 'Stop the simulation in progress (the counts so far stay)')
        : btn('rerun', '↻ Re-run', 'Run the scenario again', {
            disabled: this.model?.origin !== 'simulation',
          }),
      h('span', { class: 'sep' }),
      btn('export-svg', 'SVG', 'Export the graph as SVG', { disabled: !this.layout }),
      btn('export-png', 'PNG', 'Export the graph as PNG', { disabled: !this.layout }),
      btn('export-events', 'events', 'Export the event stream', { disabled: noTimeline }),
      btn('export-pcap', 'pcap', 'Export what each device sent as pcap', {
        disabled: this.model?.origin !== 'simulation',
      }),
    );
    mount(this.els.controls, ctl);
  }

  private fitZoom(): number {
    if (!this.layout) return 1;
    const w = this.els.graph.clientWidth || 1000;
    const hgt = this.els.graph.clientHeight || 700;
    return Math.min(
      1.25,
      (w - 8) / Math.max(1, this.layout.width),
      (hgt - 8) / Math.max(1, this.layout.height),
    );
  }

  private currentZoom(): number {
    return this.zoom === 'fit' ? Math.max(MIN_FIT_ZOOM, this.fitZoom()) : this.zoom;
  }

  private renderGraph(): void {
    if (!this.graph || !this.layout) {
      mount(
        this.els.graph,
        h(
          'p',
          { class: 'empty muted' },
          this.status.state === 'running' ? 'Simulating…' : 'No simulation yet.',
        ),
      );
      return;
    }
    const svg = toDom(
      graphView(this.graph, this.layout, this.selected ? { selected: this.selected } : {}),
    ) as SVGSVGElement;
    this.applyZoom(svg);
    this.els.graph.replaceChildren(svg);
    this.highlight();
  }

  private applyZoom(svg?: SVGSVGElement | null): void {
    const el = svg ?? this.els.graph.querySelector('svg');
    if (!el || !this.layout) return;
    const z = this.currentZoom();
    el.setAttribute('width', String(Math.ceil(this.layout.width * z)));
    el.setAttribute('height', String(Math.ceil(this.layout.height * z)));
    el.dataset.zoom = z.toFixed(3);
    el.dataset.direction = this.direction;
  }

  private renderDetails(): void {
    const n = this.selected ? this.graph?.nodes.find((x) => x.id === this.selected) : undefined;
    if (!n)
      return mount(
        this.els.details,
        h('p', { class: 'muted hint' }, 'Select a node (click, or Tab then Enter) for details.'),
      );
    mount(
      this.els.details,
      h(
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
      ),
    );
  }

  private renderTabs(): void {
    const drops = this.model?.drops.reduce((a, d) => a + d.count, 0) ?? 0;
    mount(
      this.els.tabs,
      h(
        'div',
        { class: 'tabs-inner' },
        tabs.map(([id, label]) =>
          h(
            'button',
            {
              type: 'button',
              role: 'tab',
              id: `tab-${id}`,
              'data-action': 'tab',
              'data-tab': id,
              'aria-selected': this.tab === id ? 'true' : 'false',
              tabindex: this.tab === id ? 0 : -1,
              class: id === 'drops' && drops ? 'has-drops' : '',
            },
            id === 'drops' && drops ? `${label} (${formatCount(drops)})` : label,
          ),
        ),
      ),
    );
    this.els.panel.setAttribute('aria-labelledby', `tab-${this.tab}`);
  }

  private renderPanel(): void {
    const m = this.model;
    this.renderedT = this.t;
    if (!m)
      return mount(
        this.els.panel,
        h('p', { class: 'muted' }, this.status.message ?? 'Open a scenario to simulate it.'),
      );
    switch (this.tab) {
      case 'drops':
        return mount(this.els.panel, dropsView(m));
      case 'timeline': {
        const states = this.index?.stateAt(this.t) ?? [];
        return mount(this.els.panel, timelineView(m, states, this.t));
      }
      case 'frame':
        return mount(
          this.els.panel,
          frameView(
            m,
            this.journeys.get(this.frame),
            this.frame,
            this.t,
            this.journeys.size,
            this.trace,
            this.insn,
          ),
        );
      case 'traffic':
        return mount(this.els.panel, trafficView(m));
    }
  }

  /** Marks the graph nodes the event at the cursor concerns (cheap: class toggles, no re-render). */
  private highlight(): void {
    const g = this.els.graph;
    for (const el of Array.from(g.querySelectorAll('.active'))) el.classList.remove('active');
    const ev = this.model?.timeline[this.t];
    if (!ev) return;
    const ids: string[] = [];
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
      for (const el of Array.from(g.querySelectorAll(`[data-node^="drop:${cssEscape(ev.device)}:"]`)))
        el.classList.add('active');
    for (const id of ids) g.querySelector(`[data-node="${cssEscape(id)}"]`)?.classList.add('active');
  }

  private setT(t: number): void {
    const n = this.model?.timeline.length ?? 0;
    this.t = Math.max(-1, Math.min(n - 1, t));
    if (this.tab === 'timeline' || this.tab === 'frame') this.renderPanel();
    this.highlight();
  }

  // ---- input ------------------------------------------------------------------------------

  private bind(): void {
    this.root.addEventListener('click', (e) => {
      const el = (e.target as Element).closest<HTMLElement | SVGElement>('[data-action]');
      if (el && el.tagName !== 'INPUT' && el.tagName !== 'SELECT' && el.tagName !== 'FORM')
        this.act(el.dataset.action ?? '', el);
    });
    this.root.addEventListener('input', (e) => {
      const el = e.target as HTMLInputElement;
      if (el.dataset.action === 'scrub') {
        this.pause();
        this.setT(Number(el.value));
        this.persist();
      } else if (el.dataset.action === 'pick-frame') {
        const f = Number(el.value);
        if (Number.isInteger(f) && f >= 0) {
          this.frame = f;
          this.trace = undefined;
          this.renderFrameKeepingFocus();
        }
      }
    });
    this.root.addEventListener('change', (e) => {
      const el = e.target as HTMLSelectElement;
      if (el.dataset.action === 'speed') this.speed = Number(el.value) || 50;
    });
    this.root.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.rerun(e.target as HTMLFormElement);
    });
    this.root.addEventListener('keydown', (e) => this.onKey(e));
    // A resize may turn the graph area from wide to tall (panel moved beside an editor): relayout
    // then, else only re-fit. Debounced to the end of a drag.
    let resizeTimer: number | undefined;
    new ResizeObserver(() => {
      window.clearTimeout(resizeTimer);
      resizeTimer = window.setTimeout(() => {
        const want = directionFor(this.els.graph.clientWidth || 1000, this.els.graph.clientHeight || 700);
        if (want !== this.preferred) void this.relayout(true);
        else this.applyZoom();
      }, 120);
    }).observe(this.els.graph);
    this.els.graph.addEventListener(
      'wheel',
      (e) => {
        if (!e.ctrlKey) return;
        e.preventDefault();
        this.setZoom(this.currentZoom() * (e.deltaY < 0 ? 1.15 : 1 / 1.15));
      },
      { passive: false },
    );
  }

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement;
    const action = target.dataset?.action;
    if ((e.key === 'Enter' || e.key === ' ') && action === 'select-node') {
      e.preventDefault();
      this.act('select-node', target);
      return;
    }
    if (target.getAttribute('role') === 'tab' && (e.key === 'ArrowRight' || e.key === 'ArrowLeft')) {
      e.preventDefault();
      const i = tabs.findIndex(([id]) => id === this.tab);
      const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length]?.[0] ?? 'drops';
      this.setTab(next);
      this.root.querySelector<HTMLElement>(`#tab-${next}`)?.focus();
      return;
    }
    if (/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName) && e.key !== 'Escape') return;
    switch (e.key) {
      case ' ':
        e.preventDefault();
        this.togglePlay();
        break;
      case 'ArrowRight':
        this.pause();
        this.setT(this.t + 1);
        break;
      case 'ArrowLeft':
        this.pause();
        this.setT(this.t - 1);
        break;
      case 'Home':
        this.setT(-1);
        break;
      case 'End':
        this.setT(Number.MAX_SAFE_INTEGER);
        break;
      case '+':
      case '=':
        this.setZoom(this.currentZoom() * 1.2);
        break;
      case '-':
        this.setZoom(this.currentZoom() / 1.2);
        break;
      case 'f':
        this.zoom = 'fit';
        this.applyZoom();
        break;
      case 'Escape':
        this.selected = undefined;
        this.renderGraph();
        this.renderDetails();
        break;
      default:
        return;
    }
  }

  private act(action: string, el: Element): void {
    const data = (el as HTMLElement).dataset;
    switch (action) {
      case 'select-node':
        this.selected = data.node === this.selected ? undefined : data.node;
        for (const n of Array.from(this.els.graph.querySelectorAll('.node'))) {
          const on = (n as SVGElement).dataset.node === this.selected;
          n.classList.toggle('selected', on);
          n.setAttribute('aria-pressed', on ? 'true' : 'false');
        }
        this.renderDetails();
        break;
      case 'tab':
        this.setTab((data.tab as Tab | undefined) ?? 'drops');
        break;
      case 'play':
        this.togglePlay();
        break;
      case 'step':
        this.pause();
        this.setT(this.t + 1);
        break;
      case 'step-back':
        this.pause();
        this.setT(this.t - 1);
        break;
      case 'zoom-in':
        this.setZoom(this.currentZoom() * 1.2);
        break;
      case 'zoom-out':
        this.setZoom(this.currentZoom() / 1.2);
        break;
      case 'zoom-fit':
        this.zoom = 'fit';
        this.applyZoom();
        break;
      case 'goto':
        this.pause();
        this.setT(Number(data.t));
        this.persist();
        break;
      case 'frame-next':
      case 'frame-prev': {
        const steps = this.journeys.get(this.frame)?.events ?? [];
        const next =
          action === 'frame-next'
            ? steps.find((i) => i > this.t)
            : [...steps].reverse().find((i) => i < this.t);
        if (next !== undefined) this.setT(next);
        break;
      }
      case 'open-source':
        void this.openSource(data.file ?? '', Number(data.line));
        break;
      case 'trace-frame':
        void this.traceFrame();
        break;
      case 'debug-frame':
        this.endpoint.sendNotification(P.debugFrame, { frame: this.frame });
        break;
      case 'insn-first':
      case 'insn-prev':
      case 'insn-next':
      case 'insn-last':
      case 'line-next':
      case 'call-next':
      case 'insn-goto':
        this.stepInsn(action, Number(data.insn));
        break;
      case 'stop':
        this.endpoint.sendNotification(P.cancel, {});
        break;
      case 'rerun':
        void this.rerun();
        break;
      case 'export-svg':
      case 'export-png':
      case 'export-events':
      case 'export-pcap':
        void this.export(action.slice(7) as 'svg' | 'png' | 'events' | 'pcap');
        break;
    }
  }

  private setTab(tab: Tab): void {
    this.tab = tab;
    this.renderTabs();
    this.renderPanel();
    this.persist();
  }

  private setZoom(z: number): void {
    this.zoom = Math.max(0.1, Math.min(3, z));
    this.applyZoom();
  }

  private renderFrameKeepingFocus(): void {
    this.renderPanel();
    const input = this.root.querySelector<HTMLInputElement>('#frame-no');
    input?.focus();
    const len = input?.value.length ?? 0;
    try {
      input?.setSelectionRange(len, len);
    } catch {
      // number inputs do not support selection ranges in every engine
    }
  }

  // ---- playback -----------------------------------------------------------------------------

  private togglePlay(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  private play(): void {
    const n = this.model?.timeline.length ?? 0;
    if (!n) return;
    if (this.t >= n - 1) this.t = -1;
    this.playing = true;
    this.lastTick = performance.now();
    this.carry = 0;
    this.renderControls();
    requestAnimationFrame((ts) => this.tick(ts));
  }

  private pause(): void {
    if (!this.playing) return;
    this.playing = false;
    this.renderControls();
    this.persist();
  }

  private tick(now: number): void {
    if (!this.playing) return;
    const n = this.model?.timeline.length ?? 0;
    this.carry += ((now - this.lastTick) / 1000) * this.speed;
    this.lastTick = now;
    const step = Math.floor(this.carry);
    if (step > 0) {
      this.carry -= step;
      this.setT(this.t + step);
    }
    if (this.t >= n - 1) {
      this.pause();
      return;
    }
    requestAnimationFrame((ts) => this.tick(ts));
  }

  // ---- host requests ------------------------------------------------------------------------

  private async openSource(file: string, line: number): Promise<void> {
    if (!file || !Number.isInteger(line) || line < 1) return;
    try {
      const r = await this.endpoint.sendRequest(P.openSource, { file, line });
      if (!r.opened) this.flash(r.message ?? `could not open ${file}`);
    } catch (e) {
      this.flash(e instanceof Error ? e.message : String(e));
    }
  }

  private async traceFrame(): Promise<void> {
    try {
      this.trace = await this.endpoint.sendRequest(P.traceFrame, { frame: this.frame });
      this.insn = 0;
      this.shownLine = 0;
      if (!this.trace.ok && this.trace.message) this.flash(this.trace.message);
      this.renderPanel();
      this.showStepLine();
    } catch (e) {
      this.flash(e instanceof Error ? e.message : String(e));
    }
  }

  private stepInsn(action: string, target: number): void {
    const steps = this.trace?.steps ?? [];
    if (!steps.length) return;
    const k = this.insn;
    const line = steps[k]?.line;
    let next = k;
    if (action === 'insn-first') next = 0;
    else if (action === 'insn-prev') next = k - 1;
    else if (action === 'insn-next') next = k + 1;
    else if (action === 'insn-last') next = steps.length - 1;
    else if (action === 'insn-goto') next = target;
    else if (action === 'line-next') {
      next = steps.findIndex((s, i) => i > k && s.line !== undefined && s.line !== line);
      if (next < 0) next = steps.length - 1;
    } else if (action === 'call-next') {
      next = steps.findIndex((s, i) => i > k && s.call);
      if (next < 0) next = steps.length - 1;
    }
    this.insn = Math.max(0, Math.min(steps.length - 1, Number.isFinite(next) ? next : k));
    this.renderPanel();
    this.root
      .querySelector<HTMLElement>(`[data-action="${action === 'insn-goto' ? 'insn-next' : action}"]`)
      ?.focus();
    this.showStepLine();
  }

  /** Highlights the current instruction's source line in the editor, keeping focus here. */
  private showStepLine(): void {
    const line = this.trace?.steps[this.insn]?.line;
    const file = this.trace?.file;
    if (!file || !line || line === this.shownLine) return;
    this.shownLine = line;
    // One request at a time, in order: a fast stepper must leave the editor on the last line asked.
    this.lineChain = this.lineChain.then(() =>
      this.endpoint.sendRequest(P.openSource, { file, line, preserveFocus: true }).then(
        () => undefined,
        () => undefined,
      ),
    );
  }

  private async rerun(form?: HTMLFormElement): Promise<void> {
    const traffic = form ? this.trafficEdits(form) : undefined;
    this.status = { state: 'running', message: 'simulating…' };
    this.awaitingRun = true;
    this.renderStatus();
    try {
      const r = await this.endpoint.sendRequest(P.rerun, traffic ? { traffic } : {});
      if (!r.ok) this.flash(r.message ?? 're-run failed');
    } catch (e) {
      this.flash(e instanceof Error ? e.message : String(e));
    } finally {
      // The host answers after the run's last snapshot (or without a run: no scenario, a failure).
      if (this.awaitingRun) {
        this.awaitingRun = false;
        if (this.status.state === 'running') this.status = { state: 'ready', message: this.status.message };
        this.renderStatus();
      }
    }
  }

  private trafficEdits(
    form: HTMLFormElement,
  ): { index: number; count?: number; burst?: number; dst?: string; dport?: number }[] {
    const edits = [];
    for (const fs of Array.from(form.querySelectorAll<HTMLFieldSetElement>('fieldset[data-traffic]'))) {
      const index = Number(fs.dataset.traffic);
      const val = (name: string): string | undefined =>
        fs.querySelector<HTMLInputElement>(`input[name="${name}"]`)?.value;
      const num = (name: string): number | undefined => {
        const v = val(name);
        return v === undefined || v === '' ? undefined : Number(v);
      };
      const edit: { index: number; count?: number; burst?: number; dst?: string; dport?: number } = { index };
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

  private async export(kind: 'svg' | 'png' | 'events' | 'pcap'): Promise<void> {
    try {
      let content: string | undefined;
      if ((kind === 'svg' || kind === 'png') && this.graph && this.layout) {
        const svg = graphSvgText(this.graph, this.layout, resolvedGraphCss(document));
        content = kind === 'svg' ? svg : await svgToPngBase64(svg, this.layout.width, this.layout.height);
      } else if (kind === 'events' && this.model) {
        content = this.model.timeline.map((ev, t) => JSON.stringify({ t, ...ev })).join('\n') + '\n';
      }
      const r = await this.endpoint.sendRequest(
        P.export,
        content === undefined ? { kind } : { kind, content },
      );
      this.flash(
        r.saved ? `saved ${r.saved}${r.message ? ` — ${r.message}` : ''}` : (r.message ?? 'export cancelled'),
      );
    } catch (e) {
      this.flash(e instanceof Error ? e.message : String(e));
    }
  }

  private flash(message: string): void {
    this.status = { ...this.status, message };
    this.renderStatus();
  }
}

/** Cheap identity of a timeline: length, CPUs and a few events (comparing 100k events would cost what it saves). */
function timelineFingerprint(m: VisModel): string {
  const t = m.timeline;
  const n = t.length;
  return `${n}|${m.cpus}|${JSON.stringify([t[0], t[n >> 2], t[n >> 1], t[(3 * n) >> 2], t[n - 1]])}`;
}

function cssEscape(s: string): string {
  return s.replace(/["\\]/g, '\\$&');
}
