// The visualizer panel's controller: holds the view state (model, cursor, tab, frame), mounts the
// pure views (header, controls, graph pane, tabs) into the page, binds input by delegation
// (data-action attributes) and talks to the host only through the typed endpoint. The toolbar, the
// graph pane, the timeline player, the frame stepper and the tabs live in their own modules.
import type { ELK } from 'elkjs/lib/elk-api';
import {
  visPersistedState,
  visualizerProtocol as P,
  type VisCounts,
  type VisModel,
  type VisPersistedState,
  type VisStatus,
} from '../../protocol/visualizer';
import type { Endpoint } from '../../protocol/webviewEndpoint';
import type { PackedTimeline } from '../../protocol/visualizerTimelinePack';
import { mountShell, type ShellPart } from './appShell';
import { controlsView } from './controlsView';
import { mount, patch, toDom } from './dom';
import { bindPanelInput } from './panelInput';
import { FrameStepper } from './frameStepper';
import { buildGraph } from './graphModel';
import { GraphPane } from './graphPane';
import { countersView, statusText, titleText, warningsView } from './headerView';
import { exportContent, trafficEdits, type ExportKind } from './hostRequests';
import { nextTab, panelView, tabsView, type Tab } from './panelTabs';
import { frameJourneys, TimelineIndex, type FrameJourney } from './timeline';
import { TimelinePlayer } from './timelinePlayer';
import { SnapshotIntake } from './snapshotIntake';
import { measureSince } from './timing';
import { h } from './vnode';

const noJourneys: ReadonlyMap<number, FrameJourney> = new Map();

/** A didSnapshot's parameters: the model, its packed timeline, the host's status. */
type SnapshotParams = { model: VisModel; timeline?: PackedTimeline; status?: VisStatus };

export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

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
  private index: TimelineIndex | undefined;
  /** Every frame's journey through the timeline, folded when the Frame tab first needs it. */
  private journeysCache: Map<number, FrameJourney> | undefined;
  private timelineFp = '';
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
  private readonly els: Record<ShellPart, HTMLElement>;
  private readonly pane: GraphPane;
  private readonly player: TimelinePlayer;
  private readonly stepper: FrameStepper;
  /** didSnapshot, didUpdate and didStatus in their order, behind a sliced unpack. */
  private readonly intake = new SnapshotIntake<SnapshotParams>((model, params) => {
    if (typeof model === 'string') {
      this.status = { state: 'error', message: model };
      this.renderStatus();
      return;
    }
    this.setModel(model, this.hostStatus(params.status) ?? this.status);
  });
  /** Resolves when the first graph is on screen (the benchmark and tests wait for it). */
  readonly firstRender: Promise<void>;
  private resolveFirstRender!: () => void;

  constructor(
    private readonly root: HTMLElement,
    private readonly endpoint: Endpoint,
    private readonly api: VsCodeApi,
    /** Undefined: no worker for ELK in this page; graphs get layeredLayout.ts. */
    elk: ELK | undefined,
  ) {
    this.firstRender = new Promise((r) => (this.resolveFirstRender = r));
    const restored = api.getState();
    if (visPersistedState.check(restored, 'state') === undefined) this.restore(restored as VisPersistedState);
    this.els = mountShell(root);
    this.pane = new GraphPane(this.els.graph, elk, (failure) => {
      // ELK's layout arrived from its worker: the boxes move to it (or the status says why not).
      if (failure) this.status = { state: 'error', message: failure };
      const t0 = performance.now();
      this.renderGraph();
      this.renderControls();
      this.renderStatus();
      measureSince('render', t0, { why: 'layout' });
    });
    this.player = new TimelinePlayer({
      length: () => this.model?.timeline.length ?? 0,
      cursor: () => this.t,
      setCursor: (t) => this.setT(t),
      rewind: () => (this.t = -1),
      changed: (playing) => {
        this.renderControls();
        if (!playing) this.persist();
      },
    });
    this.stepper = new FrameStepper({
      root,
      endpoint,
      renderPanel: () => this.renderPanel(),
      flash: (m) => this.flash(m),
    });
    this.bind();
    endpoint.onNotification(P.didSnapshot, (params) => this.intake.snapshot(params));
    endpoint.onNotification(P.didUpdate, ({ counts, status }) =>
      this.intake.inOrder(() => this.updateCounts(counts, this.hostStatus(status))),
    );
    endpoint.onNotification(P.didStatus, (status) =>
      this.intake.inOrder(() => {
        this.status = this.hostStatus(status) ?? this.status;
        this.renderStatus();
      }),
    );
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

  /**
   * Resolves once no snapshot is unpacking and ELK has no layout in progress: what is on screen is
   * final (the Chromium tests wait on it before measuring boxes, the benchmark to close its window).
   */
  async settled(): Promise<void> {
    await this.intake.settled();
    await this.pane.settled();
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

  setModel(model: VisModel, status: VisStatus): void {
    const t0 = performance.now();
    this.model = model;
    this.status = status;
    this.pane.graph = buildGraph(model);
    const t1 = performance.now();
    // A snapshot with the same timeline (a long run's counts streaming in) keeps the index.
    const fp = timelineFingerprint(model);
    if (fp !== this.timelineFp || !this.index) {
      // Both fold lazily: a 100 000-event snapshot costs nothing here until a tab looks at it.
      this.timelineFp = fp;
      this.index = new TimelineIndex(model.timeline, model.cpus);
      this.journeysCache = undefined;
    }
    this.t = Math.min(this.t, model.timeline.length - 1);
    const t2 = performance.now();
    this.pane.relayout(false);
    const t3 = performance.now();
    this.renderAll();
    this.persist();
    measureSince('render', t3, { why: 'snapshot' });
    this.timings = { graph: t1 - t0, timeline: t2 - t1, layout: t3 - t2, render: performance.now() - t3 };
    this.resolveFirstRender();
  }

  /** New counts for the model on screen: the graph is rebuilt (cheap), layout and timeline kept. */
  updateCounts(counts: VisCounts, status?: VisStatus): void {
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
    if (counts.misses) m.misses = counts.misses;
    else delete m.misses;
    if (status) this.status = status;
    this.pane.graph = buildGraph(m);
    this.pane.relayout(true);
    const t0 = performance.now();
    this.renderStatus();
    this.renderCounters();
    this.renderGraph(true);
    this.renderTabs();
    if (this.tab === 'drops') this.renderPanel();
    measureSince('render', t0, { why: 'counts' });
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
    this.els.title.textContent = titleText(this.model);
    const s = this.status;
    this.els.status.textContent = statusText(s);
    this.els.status.className = `status status-${s.state}`;
    mount(this.els.warnings, warningsView(this.model));
    // Re-run turns into Stop while the host runs the scenario.
    const running = s.state === 'running';
    if (running !== this.controlsShowStop) this.renderControls();
  }

  private renderCounters(): void {
    if (!this.model) return mount(this.els.counters, h('span', { class: 'muted' }, 'no run yet'));
    this.els.counters.replaceChildren(...countersView(this.model).map((n) => toDom(n)));
  }

  private renderControls(): void {
    this.controlsShowStop = this.status.state === 'running';
    mount(
      this.els.controls,
      controlsView({
        playing: this.player.playing,
        speed: this.player.speed,
        running: this.status.state === 'running',
        hasTimeline: !!this.model?.timeline.length,
        hasLayout: !!this.pane.layout,
        simulation: this.model?.origin === 'simulation',
      }),
    );
  }

  private renderGraph(counts = false): void {
    this.pane.render(
      this.status.state === 'running' ? 'Simulating…' : 'No simulation yet.',
      this.model?.timeline[this.t],
      counts,
    );
  }

  private renderDetails(): void {
    mount(this.els.details, this.pane.detailsView());
  }

  private renderTabs(): void {
    mount(this.els.tabs, tabsView(this.model, this.tab));
    this.els.panel.setAttribute('aria-labelledby', `tab-${this.tab}`);
  }

  private renderPanel(): void {
    const m = this.model;
    if (!m)
      return mount(
        this.els.panel,
        h('p', { class: 'muted' }, this.status.message ?? 'Open a scenario to simulate it.'),
      );
    patch(
      this.els.panel,
      panelView(m, {
        tab: this.tab,
        t: this.t,
        index: this.index,
        journeys: this.tab === 'frame' ? this.journeys() : noJourneys,
        frame: this.frame,
        trace: this.stepper.trace,
        insn: this.stepper.insn,
      }),
    );
  }

  /** The journeys of the timeline on screen; the picked frame moves to the first one it does not mention. */
  private journeys(): ReadonlyMap<number, FrameJourney> {
    if (this.journeysCache) return this.journeysCache;
    const j = frameJourneys(this.model?.timeline ?? []);
    this.journeysCache = j;
    if (!j.has(this.frame)) {
      const first = j.keys().next();
      this.frame = first.done ? 0 : first.value; // the first frame the timeline mentions
    }
    return j;
  }

  private setT(t: number): void {
    const n = this.model?.timeline.length ?? 0;
    this.t = Math.max(-1, Math.min(n - 1, t));
    if (this.tab === 'timeline' || this.tab === 'frame') this.renderPanel();
    this.pane.highlight(this.model?.timeline[this.t]);
  }

  // ---- input ------------------------------------------------------------------------------

  private bind(): void {
    bindPanelInput(this.root, this.els.graph, {
      act: (action, el) => this.act(action, el),
      scrub: (t) => {
        this.player.pause();
        this.setT(t);
        this.persist();
      },
      pickFrame: (f) => {
        this.frame = f;
        this.stepper.forget();
        this.renderFrameKeepingFocus();
      },
      setSpeed: (s) => (this.player.speed = s),
      submit: (form) => void this.rerun(form),
      moveTab: (forward) => {
        const next = nextTab(this.tab, forward);
        this.setTab(next);
        this.root.querySelector<HTMLElement>(`#tab-${next}`)?.focus();
      },
      zoomBy: (f) => this.pane.setZoom(this.pane.currentZoom() * f),
      // A resize may turn the graph area from wide to tall (panel moved beside an editor): relayout
      // then, else only re-fit.
      resized: () => {
        this.pane.resized();
        if (this.pane.wantsOtherDirection()) {
          this.pane.relayout();
          this.renderGraph();
        } else this.pane.applyZoom();
      },
    });
  }

  /** A button's (or a key's) action. */
  private act(action: string, el?: Element): void {
    const data = (el as HTMLElement | undefined)?.dataset ?? {};
    switch (action) {
      case 'select-node':
        this.pane.toggleSelected(data.node);
        this.renderDetails();
        break;
      case 'deselect':
        this.pane.selected = undefined;
        this.renderGraph();
        this.renderDetails();
        break;
      case 'tab':
        this.setTab((data.tab as Tab | undefined) ?? 'drops');
        break;
      case 'play':
        this.player.toggle();
        break;
      case 'step':
        this.player.pause();
        this.setT(this.t + 1);
        break;
      case 'step-back':
        this.player.pause();
        this.setT(this.t - 1);
        break;
      case 'first':
        this.setT(-1);
        break;
      case 'last':
        this.setT(Number.MAX_SAFE_INTEGER);
        break;
      case 'zoom-in':
        this.pane.setZoom(this.pane.currentZoom() * 1.2);
        break;
      case 'zoom-out':
        this.pane.setZoom(this.pane.currentZoom() / 1.2);
        break;
      case 'zoom-fit':
        this.pane.fit();
        break;
      case 'goto':
        this.player.pause();
        this.setT(Number(data.t));
        this.persist();
        break;
      case 'frame-next':
      case 'frame-prev': {
        const steps = this.journeys().get(this.frame)?.events ?? [];
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
        void this.stepper.traceFrame(this.frame);
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
        this.stepper.step(action, Number(data.insn));
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
        void this.export(action.slice(7) as ExportKind);
        break;
    }
  }

  private setTab(tab: Tab): void {
    this.tab = tab;
    this.renderTabs();
    this.renderPanel();
    this.persist();
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

  private async rerun(form?: HTMLFormElement): Promise<void> {
    const traffic = form ? trafficEdits(form) : undefined;
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

  private async export(kind: ExportKind): Promise<void> {
    try {
      const content = await exportContent(kind, this.pane.graph, this.pane.layout, this.model);
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
