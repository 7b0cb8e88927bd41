// "Compare with simulation" on one graph (issue 7): a REAL simulation of examples/redirect.xdpscenario.json
// (clang + the simulator, as the panel runs it) and a REAL capture of a host wired the same way
// (test/fixtures/capture/redirect.xdpcapture.json, made by makeRedirectCapture.ts: 61 frames where the
// scenario sends 64, the host's own ifindexes). The model with `observed` passes the snapshot schema,
// every observable edge, device and drop counter renders "predicted / observed", mismatches are
// marked, and the numbers are the comparison table's (one matching rule: flowsByDeviceName).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ELK from 'elkjs/lib/elk.bundled.js';
import { checkCaptureFile, type CaptureFile } from '../../src/core/trace/captureFile';
import { compareSummaries } from '../../src/core/trace/compareSummary';
import { runScenarioForView } from '../../src/extension/visualizer/runner';
import { nodeId, visModel, visualizerProtocol, type VisModel } from '../../src/protocol/visualizer';
import { withObserved } from '../../src/protocol/visualizerObserved';
import { headlineCounters } from '../../src/webview/visualizer/counters';
import { dropGroups, dropsView } from '../../src/webview/visualizer/dropsView';
import { buildGraph, type Graph } from '../../src/webview/visualizer/graphModel';
import { graphView } from '../../src/webview/visualizer/graphView';
import { layoutGraph } from '../../src/webview/visualizer/layout';
import { findAll, textOf, toXml } from '../../src/webview/visualizer/vnode';

const root = path.resolve(import.meta.dirname, '../..');
const haveClang = spawnSync('clang', ['--version']).status === 0;
const scenarioPath = path.join(root, 'examples/redirect.xdpscenario.json');

function loadCapture(): CaptureFile {
  const file = checkCaptureFile(
    JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/capture/redirect.xdpcapture.json'), 'utf8')),
  );
  if (typeof file === 'string') assert.fail(`capture fixture: ${file}`);
  return file;
}

async function simulate(maxEvents: number): Promise<VisModel> {
  const out = await runScenarioForView({
    scenarioPath,
    maxEvents,
    clangPath: 'clang',
    includePaths: [],
    clangArgs: [],
  });
  return out.model;
}

const edge = (g: Graph, from: string, to: string) => {
  const e = g.edges.find((x) => x.from === from && x.to === to);
  assert.ok(e, `edge ${from} → ${to} in ${g.edges.map((x) => `${x.from}→${x.to}`).join(', ')}`);
  return e;
};
const nodeOf = (g: Graph, id: string) => {
  const n = g.nodes.find((x) => x.id === id);
  assert.ok(n, `node ${id}`);
  return n;
};

// maxEvents 1 is what the compare command runs (redirects drawn per target from the summary);
// a full timeline draws them through the DEVMAP entry — both must carry the capture's counts.
for (const maxEvents of [1, 100_000])
  void test(
    `predicted / observed on the example's graph (maxEvents ${maxEvents})`,
    { skip: !haveClang && 'no clang' },
    async () => {
      const capture = loadCapture();
      const predicted = await simulate(maxEvents);
      const model = withObserved(predicted, capture, 'xlsu-host fixture');
      assert.equal(visModel.check(model, 'model'), undefined);
      assert.equal(
        visualizerProtocol.didSnapshot.params.check({ model, status: { state: 'ready' } }, 'params'),
        undefined,
      );

      // The comparison table's numbers for the same paths (device names, not ifindexes).
      const names = Object.fromEntries(predicted.devices.map((d) => [String(d.ifindex), d.name]));
      const rows = compareSummaries(predicted.summary, capture.summary, {
        predicted: names,
        observed: capture.devices,
      });
      const row = (key: string) => rows.find((r) => r.section === 'flow' && r.key === key);
      assert.deepEqual([row('r1 → r2 redirected')?.predicted, row('r1 → r2 redirected')?.observed], [64, 61]);
      assert.deepEqual([row('r1 → r3 EOPNOTSUPP')?.predicted, row('r1 → r3 EOPNOTSUPP')?.observed], [16, 16]);

      const g = buildGraph(model);
      const r1 = nodeId.device('r1');
      const toR2 =
        maxEvents === 1
          ? [edge(g, r1, nodeId.device('r2'))]
          : [
              edge(g, r1, nodeId.mapEntry('tx_port', 0)),
              edge(g, nodeId.mapEntry('tx_port', 0), nodeId.device('r2')),
            ];
      for (const e of toR2) {
        assert.equal(e.frames, 64);
        assert.equal(e.observed, 61);
        assert.equal(e.label, '64 / 61');
        assert.equal(e.mismatch, true);
        assert.match(e.aria, /64 frames predicted, 61 observed \(mismatch\)/);
      }
      const drop = edge(
        g,
        maxEvents === 1 ? r1 : nodeId.mapEntry('tx_port', 1),
        nodeId.drop('r1', 'EOPNOTSUPP'),
      );
      assert.equal(drop.label, '16 / 16');
      assert.equal(drop.mismatch, false);
      // What tracepoints cannot see stays predicted-only.
      const wire = edge(g, nodeId.device('a0'), r1);
      assert.equal(wire.label, '80');
      assert.equal(wire.observed, undefined);

      const r2 = nodeOf(g, nodeId.device('r2'));
      assert.ok(
        r2.lines.some((l) => l.includes('tx 64 / 61')),
        r2.lines.join(' | '),
      );
      assert.equal(r2.mismatch, true);
      const r1Node = nodeOf(g, r1);
      assert.ok(
        r1Node.lines.some((l) => l.includes('✕ 16 / 16')),
        r1Node.lines.join(' | '),
      );
      assert.ok(!r1Node.mismatch);
      const sink = nodeOf(g, nodeId.drop('r1', 'EOPNOTSUPP'));
      assert.ok(
        sink.lines.some((l) => l.includes('16 / 16 frames')),
        sink.lines.join(' | '),
      );
      assert.ok(!sink.mismatch);

      const counters = new Map(headlineCounters(model).map((c) => [c.key, c]));
      assert.deepEqual(
        [
          counters.get('tracepoints.xdp:xdp_redirect')?.value,
          counters.get('tracepoints.xdp:xdp_redirect')?.observed,
        ],
        [64, 61],
      );
      assert.equal(
        counters.get('frames.injected')?.observed,
        undefined,
        'the capture has no injected frames',
      );
      assert.equal(counters.get('actions.XDP_PASS')?.observed, undefined, 'no tracepoint reports XDP_PASS');

      // The drops panel too.
      const groups = dropGroups(model);
      assert.deepEqual(
        groups.map((x) => [x.key, x.count, x.observed]),
        [['EOPNOTSUPP', 16, 16]],
      );
      assert.match(textOf(dropsView(model)), /16 \/ 16 frames dropped \(predicted \/ observed\)/);

      // The drawn SVG carries both numbers and the mismatch style.
      const tree = graphView(g, await layoutGraph(g, new ELK()));
      const xml = toXml(tree);
      const labels = findAll(tree, (n) => n.attrs?.class === 'edge-label').map(textOf);
      assert.ok(labels.includes('64 / 61'), labels.join(', '));
      assert.ok(labels.includes('16 / 16'), labels.join(', '));
      assert.match(xml, /class="edge edge-(redirect|xmit) mismatch"[^>]*data-frames="64" data-observed="61"/);
      assert.match(xml, /class="node node-device mismatch"[^>]*data-node="dev:r2"/);
    },
  );

void test(
  'a path only the capture saw is drawn as 0 / n; a bad observed part is refused by the schema',
  { skip: !haveClang && 'no clang' },
  async () => {
    const capture = loadCapture();
    const extra: CaptureFile = {
      ...capture,
      summary: {
        ...capture.summary,
        flows: {
          ...capture.summary.flows,
          '5121>5125': { ifindex: 5121, to_ifindex: 5125, redirects: 5, errors: {}, sent: 5, drops: 0 },
          '5121>5199': { ifindex: 5121, to_ifindex: 5199, redirects: 2, errors: {}, sent: 2, drops: 0 },
          '5120>5123': {
            ifindex: 5120,
            to_ifindex: 5123,
            redirects: 0,
            errors: { ENETDOWN: 3 },
            sent: 0,
            drops: 0,
          },
        },
      },
    };
    const model = withObserved(await simulate(1), extra, 'edited');
    const e = edge(buildGraph(model), nodeId.device('r1'), nodeId.device('d0'));
    assert.deepEqual([e.frames, e.observed, e.label, e.mismatch], [0, 5, '0 / 5', true]);
    // An errno drop only the host had: an edge 0 / 3 and a drops card, explained by the errno table.
    assert.equal(edge(buildGraph(model), nodeId.device('a0'), nodeId.drop('a0', 'ENETDOWN')).label, '0 / 3');
    const netdown = dropGroups(model).find((x) => x.key === 'ENETDOWN');
    assert.deepEqual([netdown?.count, netdown?.observed, netdown?.drops[0]?.device], [0, 3, 'a0']);
    assert.match(textOf(dropsView(model)), /ENETDOWN[\s\S]*0 \/ 3/);
    // A device only the host has is a node named like it, not an id.
    const other = buildGraph(
      withObserved(await simulate(1), { ...extra, devices: { ...extra.devices, 5199: 'x9' } }, 'x'),
    );
    const x9 = nodeOf(other, nodeId.device('x9'));
    assert.deepEqual([x9.title, x9.lines], ['x9', ['only in the capture']]);
    assert.equal(edge(other, nodeId.device('r1'), nodeId.device('x9')).label, '0 / 2');

    const bad = structuredClone(model) as unknown as {
      observed: { devices: Record<string, { drops: number }> };
    };
    const first = Object.keys(bad.observed.devices)[0] as string;
    (bad.observed.devices[first] as { drops: number }).drops = -1;
    assert.match(
      String(visModel.check(bad, 'model')),
      new RegExp(`model\\.observed\\.devices\\.${first}\\.drops`),
    );
  },
);
