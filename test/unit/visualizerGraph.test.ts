// The visualizer's pure parts outside VS Code and outside a browser: the graph model rendered from a
// view model, its ELK layout, the SVG tree, the timeline fold and frame journeys, the counters, and
// the model schema the webview validates snapshots with.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import ELK from 'elkjs/lib/elk.bundled.js';
import { nodeId, visModel, visualizerProtocol, type VisModel } from '../../src/protocol/visualizer';
import { headlineCounters } from '../../src/webview/visualizer/counters';
import { dropGroups, dropsView } from '../../src/webview/visualizer/dropsView';
import { buildGraph, formatCount } from '../../src/webview/visualizer/graphModel';
import { graphView } from '../../src/webview/visualizer/graphView';
import { layoutGraph } from '../../src/webview/visualizer/layout';
import { sampleModel } from '../../src/webview/visualizer/sampleModel';
import {
  applyEvent,
  CHECKPOINT,
  frameJourneys,
  TimelineIndex,
  type CpuState,
} from '../../src/webview/visualizer/timeline';
import { findAll, textOf, toXml } from '../../src/webview/visualizer/vnode';

const elk = new ELK();

void test('the graph has a node per device, map entry and traffic source, and edges only between nodes', () => {
  const m = sampleModel({ devices: 16, cpus: 4, frames: 500, burst: 32 });
  const g = buildGraph(m);
  const ids = new Set(g.nodes.map((n) => n.id));
  assert.equal(ids.size, g.nodes.length, 'node ids are unique');
  for (const d of m.devices) assert.ok(ids.has(nodeId.device(d.name)), d.name);
  for (const map of m.maps)
    for (const e of map.entries)
      assert.ok(ids.has(nodeId.mapEntry(map.name, e.key)), `${map.name}[${e.key}]`);
  m.traffic.forEach((_, i) => assert.ok(ids.has(nodeId.traffic(i))));
  for (const e of g.edges) assert.ok(ids.has(e.from) && ids.has(e.to), `${e.from} → ${e.to}`);
  // Programs are drawn inside their device: no prog: node, and the program's name is in the box.
  assert.ok(!g.nodes.some((n) => n.id.startsWith('prog:')));
  const rx0 = g.nodes.find((n) => n.id === 'dev:rx0');
  assert.equal(rx0?.program?.name, 'redir() drv');
});

void test('edge counts add up: frames into drop sinks = the drops; red edges carry the errno', () => {
  const m = sampleModel({ devices: 12, cpus: 2, frames: 300, burst: 64 });
  const g = buildGraph(m);
  const intoDrops = g.edges.filter((e) => e.to.startsWith('drop:')).reduce((n, e) => n + e.frames, 0);
  assert.equal(
    intoDrops,
    m.drops.reduce((n, d) => n + d.count, 0),
  );
  assert.equal(intoDrops, m.summary.tracepoints['xdp:xdp_redirect_err']);
  for (const e of g.edges.filter((x) => x.to.startsWith('drop:'))) {
    assert.ok(e.danger && e.errno, e.id);
    assert.match(e.aria, new RegExp(`dropped with ${e.errno}`));
  }
  // Wider for more frames, never thinner.
  const sorted = [...g.edges].sort((a, b) => a.frames - b.frames);
  for (let i = 1; i < sorted.length; i++) assert.ok((sorted[i]?.weight ?? 0) >= (sorted[i - 1]?.weight ?? 0));
});

void test('ELK lays out 16 devices without overlapping boxes, and every edge is routed', async () => {
  const m = sampleModel({ devices: 16, cpus: 4, frames: 200, burst: 16 });
  const g = buildGraph(m);
  const l = await layoutGraph(g, elk);
  assert.equal(l.nodes.size, g.nodes.length);
  const boxes = [...l.nodes.values()];
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      if (!a || !b) continue;
      const overlap =
        a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
      assert.ok(!overlap, `${a.id} overlaps ${b.id}`);
    }
  for (const e of g.edges) assert.ok((l.edges.get(e.id)?.points.length ?? 0) >= 2, e.id);
  // Legibility budget at 1400×900: the 16-device graph fits a ~1040×820 graph area at ≥ 0.6 zoom.
  assert.ok(Math.min(1040 / l.width, 820 / l.height) >= 0.6, `layout ${l.width}×${l.height}`);
});

void test('the SVG tree: focusable labelled nodes, and hostile names stay text', async () => {
  const m = sampleModel({ devices: 6, cpus: 1, frames: 40, burst: 8 });
  const evil = '<script>alert(1)</script>"&';
  const dev = m.devices[0];
  assert.ok(dev);
  const old = dev.name;
  dev.name = evil;
  for (const f of m.flows) {
    if (f.from === nodeId.device(old)) f.from = nodeId.device(evil);
    if (f.to === nodeId.device(old)) f.to = nodeId.device(evil);
  }
  const g = buildGraph(m);
  const tree = graphView(g, await layoutGraph(g, elk), { selected: nodeId.device(evil) });
  const nodes = findAll(tree, (n) => n.attrs['data-action'] === 'select-node');
  assert.equal(nodes.length, g.nodes.length);
  for (const n of nodes) {
    assert.equal(n.attrs.tabindex, 0);
    assert.equal(n.attrs.role, 'button');
    assert.ok(String(n.attrs['aria-label']).length > 5);
  }
  assert.equal(findAll(tree, (n) => n.attrs['aria-pressed'] === 'true').length, 1);
  const xml = toXml(tree);
  assert.ok(!xml.includes('<script>'), 'no markup from data');
  assert.ok(xml.includes('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;'));
});

void test('timeline: the checkpointed stateAt equals a plain fold at every probed t', () => {
  const m = sampleModel({ devices: 8, cpus: 3, frames: 2500, burst: 64 });
  assert.ok(m.timeline.length > 2 * CHECKPOINT, `${m.timeline.length} events`);
  const idx = new TimelineIndex(m.timeline, m.cpus);
  const plain = (t: number): CpuState[] => {
    const st = new TimelineIndex([], m.cpus).stateAt(-1);
    for (let i = 0; i <= t; i++) applyEvent(st, m.timeline[i] as never, i);
    return st;
  };
  for (const t of [
    -1,
    0,
    1,
    CHECKPOINT - 1,
    CHECKPOINT,
    CHECKPOINT + 1,
    3 * CHECKPOINT + 17,
    m.timeline.length - 1,
  ])
    assert.deepEqual(idx.stateAt(t), plain(t), `t=${t}`);
  // Bulk queues never exceed their kernel sizes (16 per device, 8 per cpumap entry) at any event.
  for (let t = 0; t < m.timeline.length; t += 97)
    for (const c of idx.stateAt(t))
      for (const q of c.queues)
        assert.ok(q.fill <= q.capacity && q.capacity <= 16, `${q.id} ${q.fill}/${q.capacity}`);
  // At the end every poll flushed.
  for (const c of idx.stateAt(m.timeline.length - 1)) if (c.poll) assert.equal(c.flushed, true);
});

void test('frame journeys: every frame ends delivered or dropped, drops keep their errno', () => {
  const m = sampleModel({ devices: 8, cpus: 2, frames: 200, burst: 20 });
  const j = frameJourneys(m.timeline);
  assert.equal(j.size, 200);
  let dropped = 0;
  for (const f of j.values()) {
    assert.notEqual(f.fate, 'in flight', `frame ${f.frame}`);
    if (f.fate === 'dropped') {
      dropped++;
      assert.ok(f.errno);
    } else {
      // A delivered frame that was redirected to a device went through enqueue and a transmit.
      const kinds = f.events.map((t) => m.timeline[t]?.k);
      if (kinds.includes('enqueue'))
        assert.ok(kinds.includes('xmit'), `frame ${f.frame}: ${kinds.join(',')}`);
    }
  }
  assert.equal(
    dropped,
    m.drops.reduce((n, d) => n + d.count, 0),
  );
});

void test('headline counters and drops are the summary’s numbers; drops explain with the errno table', () => {
  const m = sampleModel({ devices: 10, cpus: 2, frames: 100, burst: 10 });
  const c = new Map(headlineCounters(m).map((x) => [x.key, x.value]));
  assert.equal(c.get('tracepoints.xdp:xdp_redirect'), m.summary.tracepoints['xdp:xdp_redirect']);
  assert.equal(c.get('tracepoints.xdp:xdp_redirect_err'), m.summary.tracepoints['xdp:xdp_redirect_err']);
  assert.equal(c.get('devmapXmit.sent'), m.summary.devmapXmit.sent);
  const groups = dropGroups(m);
  assert.deepEqual(new Set(groups.map((g) => g.key)), new Set(m.drops.map((d) => d.errno)));
  for (const g of groups)
    assert.equal(
      g.count,
      m.drops.filter((d) => d.errno === g.key).reduce((n, d) => n + d.count, 0),
    );
  for (let i = 1; i < groups.length; i++)
    assert.ok((groups[i - 1]?.count ?? 0) >= (groups[i]?.count ?? 0), 'most frequent first');
  const text = textOf(dropsView(m));
  assert.match(text, /EOPNOTSUPP/);
  assert.match(text, /ip link set dev TARGET up/); // ENETDOWN's fix from src/core/trace/errnos.ts
});

void test('the snapshot schema accepts a real model and names what is wrong in a tampered one', () => {
  const m: VisModel = sampleModel({ devices: 6, cpus: 2, frames: 50, burst: 8 });
  const params = visualizerProtocol.didSnapshot.params;
  assert.equal(params.check({ model: m, status: { state: 'ready' } }, 'params'), undefined);
  const bad = structuredClone(m) as unknown as {
    devices: { counters: { rxFrames: number } }[];
    timeline: unknown[];
  };
  (bad.devices[0] as { counters: { rxFrames: number } }).counters.rxFrames = -1;
  assert.equal(visModel.check(bad, 'model'), 'model.devices[0].counters.rxFrames must be ≥ 0, not -1');
  const bad2 = structuredClone(m) as unknown as { timeline: unknown[] };
  bad2.timeline[3] = { k: 'teleport', cpu: 0 };
  assert.match(visModel.check(bad2, 'model') ?? '', /model\.timeline\[3\]\.k must be one of poll, run/);
  const bad3 = { ...structuredClone(m), extra: 1 };
  assert.equal(visModel.check(bad3, 'model'), 'model.extra is not a known field');
});

void test('formatCount writes integers as toLocaleString("en-US") does, without Intl', () => {
  for (const n of [0, 7, 999, 1000, 12_345, 999_999, 1_000_016, -4_321, 2 ** 53 - 1, 1.5])
    assert.equal(formatCount(n), n.toLocaleString('en-US'));
});
