// The summary fold: counts, errno histograms by symbolic name, batched sums and flows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainErrno, errnoName } from './errnos';
import { checkSummary, mergeSummary, summarize } from './summary';
import { parsePerfScript } from './perfScriptParse';

const capture = `
 ping 1 [000] 1.000001: xdp:xdp_redirect_err: prog_id=5 action=REDIRECT ifindex=5001 to_ifindex=5003 err=-95 map_id=9 map_index=0
 ping 1 [000] 1.000002: xdp:xdp_redirect_err: prog_id=5 action=REDIRECT ifindex=5001 to_ifindex=5003 err=-95 map_id=9 map_index=0
 ping 1 [000] 1.000003: xdp:xdp_redirect: prog_id=5 action=REDIRECT ifindex=5001 to_ifindex=5003 err=0 map_id=9 map_index=0
 ping 1 [000] 1.000004: xdp:xdp_devmap_xmit: ndo_xdp_xmit from_ifindex=5001 to_ifindex=5003 action=REDIRECT sent=16 drops=0 err=0
 ping 1 [000] 1.000005: xdp:xdp_devmap_xmit: ndo_xdp_xmit from_ifindex=5001 to_ifindex=5003 action=REDIRECT sent=0 drops=4 err=-6
 ksoftirqd/0 1 [000] 1.000006: xdp:xdp_cpumap_enqueue: enqueue cpu=0 map_id=3 action=REDIRECT processed=8 drops=4 to_cpu=0
 cpumap/0/map:3 1 [000] 1.000007: xdp:xdp_cpumap_kthread: kthread cpu=0 map_id=3 action=REDIRECT processed=4 drops=0 sched=1 xdp_pass=0 xdp_drop=0 xdp_redirect=0
`;

describe('capture summary', () => {
  it('folds events into the simulate --json shape', () => {
    const parsed = parsePerfScript(capture);
    assert.deepEqual(parsed.errors, []);
    const s = summarize(
      parsed.events.map((e) => e.event),
      '6.18.44',
    );
    assert.deepEqual(s.tracepoints, {
      'xdp:xdp_redirect_err': 2,
      'xdp:xdp_redirect': 1,
      'xdp:xdp_devmap_xmit': 2,
      'xdp:xdp_cpumap_enqueue': 1,
      'xdp:xdp_cpumap_kthread': 1,
    });
    assert.deepEqual(s.errno, {
      'xdp:xdp_redirect_err': { EOPNOTSUPP: 2 },
      'xdp:xdp_devmap_xmit': { ENXIO: 1 },
    });
    assert.deepEqual(s.devmapXmit, { sent: 16, drops: 4 });
    assert.deepEqual(s.cpumap, { enqueue: { processed: 8, drops: 4 }, kthread: { processed: 4, drops: 0 } });
    assert.deepEqual(s.flows['5001>5003'], {
      ifindex: 5001,
      to_ifindex: 5003,
      redirects: 1,
      errors: { EOPNOTSUPP: 2 },
      sent: 16,
      drops: 4,
    });
    assert.equal(s.kernel, '6.18.44');
  });

  it('merges and reads back from JSON', () => {
    const a = summarize(parsePerfScript(capture).events.map((e) => e.event));
    const b = checkSummary(JSON.parse(JSON.stringify(a)));
    assert.ok(typeof b !== 'string');
    mergeSummary(a, b);
    assert.equal(a.tracepoints['xdp:xdp_redirect_err'], 4);
    assert.equal(a.flows['5001>5003']?.errors.EOPNOTSUPP, 4);
    assert.equal(checkSummary({ tracepoints: { x: 'no' } }), 'tracepoints.x: not a number');
  });

  it('explains errnos with the one table', () => {
    assert.equal(errnoName(-95), 'EOPNOTSUPP');
    assert.equal(errnoName(-4242), 'E4242');
    assert.match(explainErrno(-95), /peer/);
  });
});

describe('a real 6.18 perf script capture', () => {
  it('parses every line of the recorded fixture (veth peer without XDP, then with XDP_PASS)', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(
      new URL('../../../test/fixtures/capture/perf-script-6.18.txt', import.meta.url),
      'utf8',
    );
    const r = parsePerfScript(text);
    assert.deepEqual(r.errors, []);
    const s = summarize(r.events.map((e) => e.event));
    assert.deepEqual(s.tracepoints, {
      'xdp:xdp_redirect_err': 3,
      'xdp:xdp_redirect': 3,
      'xdp:xdp_devmap_xmit': 3,
    });
    assert.deepEqual(s.errno, { 'xdp:xdp_redirect_err': { EOPNOTSUPP: 3 } });
    assert.deepEqual(s.devmapXmit, { sent: 3, drops: 0 });
  });
});
