// The fleet tables: counts of hosts added up (flows and devices stay per host), and the comparison
// rows with a hole for a host that failed.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { fleetMerged, fleetRows } from './fleetSummary';
import { addCount, addErrno, emptySummary, type XdpSummary } from './summary';

function host(redirects: number, eopnotsupp: number, sent: number): XdpSummary {
  const s = emptySummary();
  addCount(s, 'xdp:xdp_redirect', redirects);
  addCount(s, 'xdp:xdp_redirect_err', eopnotsupp);
  addErrno(s, 'xdp:xdp_redirect_err', -95, eopnotsupp);
  s.devmapXmit.sent = sent;
  s.flows['5003>5005'] = { ifindex: 5003, to_ifindex: 5005, redirects, sent, drops: 0, errors: {} };
  s.kernel = '6.18.0';
  return s;
}

test('fleetMerged adds the counts of every host and keeps no flows, devices or kernel', () => {
  const merged = fleetMerged([host(10, 0, 10), host(5, 40, 5)]);
  assert.equal(merged.tracepoints['xdp:xdp_redirect'], 15);
  assert.equal(merged.tracepoints['xdp:xdp_redirect_err'], 40);
  assert.deepEqual(merged.errno, { 'xdp:xdp_redirect_err': { EOPNOTSUPP: 40 } });
  assert.equal(merged.devmapXmit.sent, 15);
  assert.deepEqual(merged.flows, {});
  assert.equal(merged.kernel, undefined);
});

test('fleetMerged of no host is an empty summary', () => {
  assert.deepEqual(fleetMerged([]), (({ kernel: _k, ...s }) => s)(emptySummary()));
});

test('fleetRows: one row per fired tracepoint and errno, a column per host, undefined for a failed host', () => {
  const a = host(10, 0, 10);
  const b = host(5, 40, 5);
  const merged = fleetMerged([a, b]);
  const rows = fleetRows(merged, [a, undefined, b]);
  assert.deepEqual(
    rows.map((r) => [r.name, r.merged, ...r.perHost]),
    [
      ['xdp:xdp_redirect', 15, 10, undefined, 5],
      ['xdp:xdp_redirect_err', 40, 0, undefined, 40],
      ['  EOPNOTSUPP (xdp_redirect_err)', 40, 0, undefined, 40],
      ['devmap xmit sent', 15, 10, undefined, 5],
      ['devmap xmit drops', 0, 0, undefined, 0],
    ],
  );
});

test('fleetRows shows cpumap drops only when a cpumap was used', () => {
  const a = emptySummary();
  a.cpumap.enqueue.processed = 3;
  a.cpumap.enqueue.drops = 1;
  const names = fleetRows(fleetMerged([a]), [a]).map((r) => r.name);
  assert.ok(names.includes('cpumap enqueue drops'));
  assert.ok(!fleetRows(emptySummary(), []).some((r) => r.name.startsWith('cpumap')));
});
