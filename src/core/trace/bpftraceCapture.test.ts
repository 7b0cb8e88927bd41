// The bpftrace -f json stream parser: real output shapes fold into the summary; garbage and
// truncated lines become errors that name the line, never a crash.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BpftraceStream, buildBpftraceScript, ratesBetween } from './bpftraceCapture';
import { tracepoints } from './tracepoints';

// Shapes as bpftrace 0.17 prints them (kernel-lab.md "Captures"; multi-keys joined by commas).
const stream = [
  '{"type": "attached_probes", "data": {"probes": 14}}',
  '{"type": "map", "data": {"@cnt": {"tracepoint:xdp:xdp_redirect_err": 3, "tracepoint:xdp:xdp_redirect": 2, "tracepoint:xdp:xdp_devmap_xmit": 2}}}',
  '{"type": "map", "data": {"@pcpu": {"tracepoint:xdp:xdp_redirect_err,0": 3, "tracepoint:xdp:xdp_redirect,1": 2}}}',
  '{"type": "map", "data": {"@flow": {"5003,5005,95": 3, "5003,5005,0": 2}}}',
  '{"type": "map", "data": {"@xsent": {"5003,5005": 2}}}',
  '{"type": "map", "data": {"@prog": {"130,95": 3, "130,0": 2}}}',
  '{"type": "map", "data": {"@exc": {"131,0": 4}}}',
  '{"type": "map", "data": {"@xdrops": {"5003,5005": 0}}}',
  '{"type": "map", "data": {"@err": {"tracepoint:xdp:xdp_redirect_err,95": 3}}}',
  '{"type": "printf", "data": "xdp-lab-tick\\n"}',
];

describe('bpftrace capture', () => {
  it('folds a tick of maps into the shared summary shape', () => {
    const s = new BpftraceStream();
    const snaps = stream.map((l) => s.push(l)).filter(Boolean);
    assert.equal(snaps.length, 1);
    const snap = snaps[0]!;
    assert.equal(s.attached, 14);
    assert.deepEqual(snap.summary.tracepoints, {
      'xdp:xdp_redirect_err': 3,
      'xdp:xdp_redirect': 2,
      'xdp:xdp_devmap_xmit': 2,
    });
    assert.deepEqual(snap.summary.errno, { 'xdp:xdp_redirect_err': { EOPNOTSUPP: 3 } });
    assert.deepEqual(snap.summary.devmapXmit, { sent: 2, drops: 0 });
    assert.deepEqual(snap.summary.flows['5003>5005'], {
      ifindex: 5003,
      to_ifindex: 5005,
      redirects: 2,
      errors: { EOPNOTSUPP: 3 },
      sent: 2,
      drops: 0,
    });
    assert.deepEqual(snap.perCpu, { 'xdp:xdp_redirect_err': { '0': 3 }, 'xdp:xdp_redirect': { '1': 2 } });
    const rates = ratesBetween(undefined, snap, 1);
    assert.equal(rates.find((r) => r.name === 'xdp:xdp_redirect_err')?.perSecond, 3);
    assert.deepEqual(snap.programs, {
      '130': { redirects: 2, errors: { EOPNOTSUPP: 3 }, exceptions: {} },
      '131': { redirects: 0, errors: {}, exceptions: { XDP_ABORTED: 4 } },
    });
    assert.deepEqual(snap.exceptions, { XDP_ABORTED: 4 });
    assert.deepEqual(s.errors, []);
  });

  it('reports garbage and truncated lines with their line numbers and keeps going', () => {
    const s = new BpftraceStream();
    s.push(stream[0]!);
    s.push('{"type": "map", "data": {"@cnt": {"tracepoint:xdp:xdp_redi');
    s.push('Attaching 14 probes...');
    s.push('{"type": "map", "data": {"@cnt": {"tracepoint:xdp:xdp_redirect": "x"}}}');
    s.push(stream[1]!);
    const fin = s.finish();
    assert.deepEqual(
      s.errors.map((e) => e.line),
      [2, 3, 4],
    );
    assert.match(s.errors[0]!.message, /^bpftrace output line 2: not JSON \(truncated or garbage\)/);
    assert.equal(fin.summary.tracepoints['xdp:xdp_redirect_err'], 3);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.json(), fc.constantFrom(...stream))), (lines) => {
        const s = new BpftraceStream();
        for (const l of lines) s.push(l);
        s.finish();
      }),
    );
  });

  it('names only the tracepoints the host has, and filters devices by ifindex', () => {
    const script = buildBpftraceScript({
      available: ['xdp:xdp_redirect', 'xdp:xdp_redirect_err'],
      ifindexes: [5003],
    });
    assert.ok(!script.includes('xdp_devmap_xmit'));
    assert.ok(!script.includes('print(@xsent)'));
    assert.match(script, /args->ifindex == 5003 \|\| args->to_ifindex == 5003/);
    assert.throws(() => buildBpftraceScript({ available: [] }), /no xdp:\* tracepoints/);
    const all = buildBpftraceScript({ available: tracepoints.map((t) => t.name) });
    assert.ok(!/xdp_redirect_map/.test(all), 'never the removed tracepoints');
  });
});
