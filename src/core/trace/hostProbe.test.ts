// The capability probe parser on real-shaped output: tools, tracefs listing, perf list fallback,
// devices with XDP programs, and the reasons a host cannot capture.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cannotCapture, deviceNames, parseHostProbe } from './hostProbe';

/** The refusal reason, or a marker that fails the match when the input was accepted. */
const reason = (r: unknown): string => (typeof r === 'string' ? r : '(accepted)');

const links = JSON.stringify([
  { ifindex: 1, ifname: 'lo' },
  {
    ifindex: 5003,
    ifname: 'xlrta0',
    xdp: { mode: 1, prog: { id: 130 }, attached: [{ mode: 1, prog: { id: 130 } }] },
  },
  { ifindex: 5090, ifname: 'x$(id>xlrtp)' },
]);
const out = (
  o: { uid?: string; sudo?: string; bpftrace?: boolean; tracefs?: boolean; perflist?: boolean } = {},
): string =>
  [
    '@@kernel',
    '6.18.44',
    '@@uid',
    o.uid ?? '0',
    '@@user',
    o.uid && o.uid !== '0' ? 'alice' : 'root',
    '@@sudo',
    o.sudo ?? 'no',
    '@@bpftrace',
    ...(o.bpftrace === false ? [] : ['/usr/bin/bpftrace', 'bpftrace v0.17.0']),
    '@@perf',
    '/usr/bin/perf',
    'perf version 6.1.192',
    '@@timeout',
    '/usr/bin/timeout',
    '@@tracefs',
    ...(o.tracefs === false
      ? []
      : ['/sys/kernel/tracing', 'enable', 'filter', 'xdp_redirect', 'xdp_redirect_err', 'xdp_devmap_xmit']),
    '@@perflist',
    ...(o.perflist
      ? [
          '  xdp:xdp_redirect                                   [Tracepoint event]',
          '  xdp:xdp_exception [Tracepoint event]',
        ]
      : []),
    '@@links',
    links,
    '@@progs',
    '[{"id":130,"type":"xdp","name":"redirect_devmap"}]',
    '',
    '@@end',
  ].join('\n');

describe('host probe', () => {
  it('reads a root host with tracefs', () => {
    const p = parseHostProbe(out(), false);
    assert.ok(typeof p !== 'string');
    assert.equal(p.kernel, '6.18.44');
    assert.deepEqual(p.tracepoints, ['xdp:xdp_redirect', 'xdp:xdp_redirect_err', 'xdp:xdp_devmap_xmit']);
    assert.equal(p.tracefs, '/sys/kernel/tracing');
    assert.deepEqual(p.devices[1], { ifindex: 5003, name: 'xlrta0', xdpProgIds: [130], xdpMode: '1' });
    assert.equal(deviceNames(p)[5090], 'x$(id>xlrtp)');
    assert.deepEqual(p.programs, [{ id: 130, name: 'redirect_devmap', type: 'xdp' }]);
    assert.equal(cannotCapture(p, 'bpftrace'), undefined);
  });

  it('falls back to perf list, and names why a host cannot capture', () => {
    const viaPerf = parseHostProbe(out({ tracefs: false, perflist: true }), false);
    assert.ok(typeof viaPerf !== 'string');
    assert.deepEqual(viaPerf.tracepoints, ['xdp:xdp_redirect', 'xdp:xdp_exception']);
    const noBt = parseHostProbe(out({ bpftrace: false }), false);
    assert.ok(typeof noBt !== 'string');
    assert.match(cannotCapture(noBt, 'bpftrace') ?? '', /bpftrace is not installed.*use --tool perf/);
    const user = parseHostProbe(out({ uid: '1000' }), true);
    assert.ok(typeof user !== 'string');
    assert.match(
      cannotCapture(user, 'perf') ?? '',
      /alice \(uid 1000\) is not root and cannot run 'sudo -n'/,
    );
    const sudoNotAllowed = parseHostProbe(out({ uid: '1000', sudo: 'yes' }), false);
    assert.ok(typeof sudoNotAllowed !== 'string');
    assert.match(cannotCapture(sudoNotAllowed, 'perf') ?? '', /sudo -n works but is not allowed/);
    const sudo = parseHostProbe(out({ uid: '1000', sudo: 'yes' }), true);
    assert.ok(typeof sudo !== 'string');
    assert.equal(sudo.sudoPrefix, 'sudo -n');
    assert.equal(cannotCapture(sudo, 'bpftrace'), undefined);
  });

  it('refuses a truncated probe', () => {
    assert.match(reason(parseHostProbe(out().split('@@links')[0] ?? '', false)), /did not finish/);
  });
});
