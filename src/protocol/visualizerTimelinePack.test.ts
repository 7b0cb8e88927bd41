// The packed timeline: every event kind and optional field survives pack → JSON → unpack unchanged,
// the didSnapshot schema takes the packed form, and malformed packs are refused with a reason.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { sampleModel } from '../webview/visualizer/sampleModel';
import { visualizerProtocol as P, type VisEvent } from './visualizer';
import {
  packTimeline,
  packTimelineSteps,
  prepareSnapshotSteps,
  snapshotModel,
  snapshotModelSteps,
  snapshotParams,
  unpackTimeline,
  wordsToBase64,
  type PackedTimeline,
} from './visualizerTimelinePack';

const ring = { name: 'cpumap:2', fill: 3, size: 192, cpu: 2 };
const every: VisEvent[] = [
  { k: 'poll', cpu: 0, device: 'r1', frames: 64 },
  { k: 'run', cpu: 0, frame: 7, device: 'r1', program: 'redir', action: 'XDP_REDIRECT' },
  {
    k: 'run',
    cpu: 1,
    frame: 8,
    device: 'r1',
    program: 'redir',
    action: 'XDP_REDIRECT',
    redirect: { map: 'tx_port', key: 2, target: 'dev:r2' },
    source: { file: '/w/redirect.bpf.c', line: 31 },
    chain: 'count PASS → drop9 DROP',
    decidedBy: 'drop9',
    miss: { text: 'DEVMAP tx_port key 2 not found → XDP_PASS', why: 'flags' },
  },
  {
    k: 'run',
    cpu: 1,
    frame: 9,
    device: 'r1',
    program: 'p',
    action: 'XDP_REDIRECT',
    redirect: { key: 4, target: 'dev:x' },
  },
  { k: 'enqueue', cpu: 0, frame: 7, queue: 'dev:r2@0', fill: 1, capacity: 16 },
  { k: 'xmit', cpu: 0, queue: 'dev:r2@0', sent: 15, drops: 1, flush: true },
  {
    k: 'xmit',
    cpu: 3,
    queue: 'cpumap:2',
    sent: 0,
    drops: 1,
    err: 'ENOSPC',
    flush: false,
    frames: [1, 2, 2_000_000],
    ring,
    skb: true,
  },
  { k: 'xmit', cpu: 3, queue: 'q', sent: 0, drops: 0, flush: false, frames: [], skb: false },
  { k: 'flush', cpu: 0, device: 'r1' },
  { k: 'drop', cpu: 2, frame: 9, device: 'r1', reason: 'redirect error' },
  { k: 'drop', cpu: 2, frame: 10, device: 'r1', reason: 'redirect error', errno: 'EOPNOTSUPP' },
  ...(['stack', 'xsk', 'tx', 'wire', 'cpumap'] as const).map((fate, i): VisEvent => ({
    k: 'deliver',
    cpu: 4095,
    frame: i,
    device: 'r2',
    fate,
  })),
  { k: 'kthread', cpu: 2, queue: 'cpumap:2', processed: 8, drops: 0 },
  {
    k: 'kthread',
    cpu: 2,
    queue: 'cpumap:2',
    processed: 8,
    drops: 1,
    ring,
    verdicts: { pass: 5, drop: 2, redirect: 1 },
  },
];

void test('every event kind and optional field round-trips through pack, JSON and unpack', () => {
  const packed = packTimeline(every);
  assert.ok(packed);
  assert.equal(packed.n, every.length);
  assert.equal(new Set(packed.strings).size, packed.strings.length, 'repeated strings are stored once');
  const back = unpackTimeline(JSON.parse(JSON.stringify(packed)) as PackedTimeline);
  assert.deepEqual(back, every);
});

void test('a 100 000-event sample model crosses as a packed snapshot the schema accepts, and comes back whole', () => {
  const m = sampleModel({ devices: 16, cpus: 4, frames: 15_000, burst: 32, maxEvents: 100_000 });
  assert.ok(m.timeline.length > 50_000);
  const params = JSON.parse(JSON.stringify(snapshotParams(m, { state: 'ready' }))) as ReturnType<
    typeof snapshotParams
  >;
  assert.equal(params.model.timeline.length, 0, 'the events travel packed, not as objects');
  assert.ok(params.timeline);
  assert.equal(P.didSnapshot.params.check(params, 'params'), undefined);
  assert.ok(
    JSON.stringify(params).length * 2 < JSON.stringify({ model: m }).length,
    'the packed snapshot is less than half the size',
  );
  assert.deepEqual(snapshotModel(params), m);
  // In steps (the page's way, across tasks): many yields, the same model at the end.
  const steps = snapshotModelSteps(params);
  let yields = 0;
  let r = steps.next();
  for (; !r.done; r = steps.next()) yields++;
  assert.ok(yields >= m.timeline.length / 4096, `${yields} yields`);
  assert.deepEqual(r.value, m);
});

void test('a host packs a large timeline in steps, and the snapshot after it sends that pack', () => {
  const m = sampleModel({ devices: 16, cpus: 4, frames: 15_000, burst: 32, maxEvents: 100_000 });
  const steps = packTimelineSteps(m.timeline);
  let yields = 0;
  let r = steps.next();
  for (; !r.done; r = steps.next()) yields++;
  assert.ok(yields >= m.timeline.length / 4096, `${yields} yields`);
  assert.deepEqual(r.value, packTimeline(m.timeline), 'the same pack as at once');
  // prepareSnapshotSteps fills the panel's pack-once cache: snapshotParams returns that very pack.
  const prepare = prepareSnapshotSteps(m);
  yields = 0;
  while (!prepare.next().done) yields++;
  assert.ok(yields > 1, `${yields} yields`);
  const a = snapshotParams(m, { state: 'ready' });
  assert.deepEqual(a.timeline, r.value);
  assert.equal(snapshotParams(m, { state: 'running' }).timeline, a.timeline, 'packed once');
});

void test('a number past 31 bits (or below 0) sends the events as they are', () => {
  const ev: VisEvent[] = [{ k: 'poll', cpu: 0, device: 'r1', frames: 2 ** 33 }];
  assert.equal(packTimeline([{ k: 'poll', cpu: 0, device: 'r1', frames: -1 }]), undefined);
  assert.equal(packTimeline(ev), undefined);
  const params = snapshotParams(
    { ...sampleModel({ devices: 4, cpus: 1, frames: 1, burst: 1 }), timeline: ev },
    {
      state: 'ready',
    },
  );
  assert.equal(params.timeline, undefined);
  assert.deepEqual(params.model.timeline, ev);
});

void test('malformed packs are refused with the reason, never thrown', () => {
  const good = packTimeline(every);
  assert.ok(good);
  const bad = (p: Partial<PackedTimeline>): unknown => unpackTimeline({ ...good, ...p });
  assert.match(String(bad({ n: every.length + 1 })), /ends early/);
  assert.match(String(bad({ n: 1 })), /words after the last event/);
  assert.match(String(bad({ strings: [] })), /not in the table/);
  assert.match(String(bad({ words: wordsToBase64([15, 0]) })), /unknown event kind/);
  assert.match(String(bad({ words: wordsToBase64([2, 0, 0, 0, 0, 0]), n: 1, strings: ['q'] })), /below 1/);
  assert.match(String(bad({ words: wordsToBase64([0, 5000, 0, 0]), n: 1, strings: ['a'] })), /cpu 5000/);
  assert.match(
    String(bad({ words: wordsToBase64([3 | (2 << 4), 0, 0, 0, 0, 0, 1e6]), n: 1, strings: ['q'] })),
    /past the end/,
  );
  const check = (x: unknown): string | undefined =>
    P.didSnapshot.params.check(
      {
        model: { ...sampleModel({ devices: 4, cpus: 1, frames: 1, burst: 1 }), timeline: [] },
        status: { state: 'ready' },
        timeline: x,
      },
      'params',
    );
  assert.equal(check(good), undefined);
  assert.match(String(check({ ...good, words: [1, 2] })), /base64 string/);
  assert.match(String(bad({ words: 'AAAAA*==' })), /not base64/);
  assert.match(String(bad({ words: 'AAA\u0141' })), /not base64/);
  assert.match(String(bad({ words: wordsToBase64([2 ** 28]).slice(0, 4) })), /cut short/);
  assert.match(String(bad({ words: '/////////w==' })), /longer than 5 bytes/);
  assert.match(String(bad({ words: 'AAAAA' })), /multiple of 4/);
  assert.match(String(check({ ...good, strings: [7] })), /strings\[0\]/);
  assert.match(String(check({ ...good, extra: 1 })), /not a known field/);
  assert.match(String(check({ ...good, n: -1 })), /n must be/);
  // A packed timeline beside events in the model is refused (which would win?).
  assert.match(
    snapshotModel({
      model: sampleModel({ devices: 4, cpus: 1, frames: 10, burst: 1, maxEvents: 10 }),
      timeline: good,
    }) as string,
    /empty model.timeline/,
  );
});
