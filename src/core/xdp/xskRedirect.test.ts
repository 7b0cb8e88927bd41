// XSKMAP redirects (§3.6, §8.29): the checks in the kernel's order and what the rings hold.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatEvent } from '../trace/tracepoints';
import { prog, redirectMap, simulate, system } from '../../../test/unit/xdp/programDoubles';

function xsk(sock: Record<string, unknown>, count: number, length = 64) {
  const sys = system();
  const xm = sys.createMap({ name: 'xsks', type: 17, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 });
  return simulate(
    {
      devices: [
        { name: 'eth0', kind: 'nic', xdp: { program: 'r' } },
        { name: 'eth1', kind: 'nic' },
      ],
      xsks: [{ name: 's', device: 'eth0', ...sock }],
      maps: { xsks: [{ key: 0, value: { xsk: 's' } }] },
      traffic: [{ rx: 'eth0', count, burst: count, frame: { udp: {}, length } }],
    },
    { r: prog('r', (_b, c) => redirectMap(c, xm, 0)) },
    [xm],
  );
}
const errs = (r: ReturnType<typeof xsk>) => r.summary.errno['xdp:xdp_redirect_err'];

describe('XSKMAP (§3.6)', () => {
  it('unbound → ENXIO; bound to another device → EINVAL; empty fill ring → ENOMEM', () => {
    assert.deepEqual(errs(xsk({ bound: false }, 1)), { ENXIO: 1 });
    assert.deepEqual(errs(xsk({ device: 'eth1' }, 1)), { EINVAL: 1 });
    assert.deepEqual(errs(xsk({ fillRing: 0 }, 1)), { ENOMEM: 1 });
  });

  it('rx ring of 4, 7 frames → 4 delivered, 3 ENOBUFS; events name to_ifindex=0 and the key', () => {
    const r = xsk({ rxRing: 4, fillRing: 64 }, 7);
    assert.equal(r.summary.tracepoints['xdp:xdp_redirect'], 4);
    assert.deepEqual(errs(r), { ENOBUFS: 3 });
    assert.match(formatEvent(r.events[0]!.event), /to_ifindex=0 err=0 map_id=\d+ map_index=0$/);
    assert.equal(r.summary.xsks.s!.rxQueueFull, 3);
  });

  it('2048-byte chunks: 1792 bytes fit, 1793 → ENOSPC; with XDP_USE_SG two descriptors', () => {
    assert.equal(xsk({}, 1, 1792).summary.tracepoints['xdp:xdp_redirect'], 1);
    assert.deepEqual(errs(xsk({}, 1, 1793)), { ENOSPC: 1 });
    const sg = xsk({ sg: true }, 1, 1793);
    assert.equal(sg.summary.xsks.s!.rxDescriptors, 2);
  });
});
