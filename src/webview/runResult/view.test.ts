// The run result view from a real VM run: a TTL-decrementing program's frame diff, its map change,
// and a redirect-map miss explained by the VM's note.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { buildFrame, toHex } from '../../core/packet/frameBuilder';
import { explainRedirectMiss } from '../../core/xdp/redirectMiss';
import { runResultView, type RunResultView } from '../../protocol/runResult';
import { findAll, textOf } from '../visualizer/vnode';
import { runResultTree } from './view';

function view(frameOut: Uint8Array, frameIn: Uint8Array, extra: Partial<RunResultView> = {}): RunResultView {
  return {
    program: 'xdp_ttl',
    section: 'xdp',
    source: 'ttl.bpf.c',
    frameWhat: 'UDP frame',
    outcome: { kind: 'action', action: 'XDP_TX', retval: 3 },
    insns: 12,
    frameIn: toHex(frameIn),
    frameOut: toHex(frameOut),
    maps: [
      {
        name: 'counts',
        type: 'ARRAY',
        total: 4,
        entries: [{ key: '00000000', before: '0000000000000000', after: '0100000000000000' }],
      },
    ],
    printk: [],
    notes: [],
    ...extra,
  };
}

void test('changed fields and bytes are marked: TTL and checksum of a decrement, the map entry', () => {
  const before = buildFrame({ udp: { dport: 9 } });
  const after = before.slice();
  after[22] = (after[22] ?? 0) - 1; // TTL
  after[24] = (after[24] ?? 0) + 1; // checksum
  const v = view(after, before);
  assert.equal(runResultView.check(v, 'view'), undefined);
  const tree = runResultTree(v);
  const changedRows = findAll(tree, (n) => n.attrs['data-changed'] !== undefined).map(
    (n) => n.attrs['data-changed'],
  );
  assert.deepEqual(changedRows, ['TTL', 'checksum']);
  const ttlRow = findAll(tree, (n) => n.attrs['data-changed'] === 'TTL')[0];
  assert.ok(ttlRow);
  assert.match(textOf(ttlRow), /TTL\s*6463/);
  assert.equal(findAll(tree, (n) => n.attrs.class === 'changed-byte').length, 2);
  assert.match(textOf(tree), /2 bytes changed/);
  assert.match(textOf(findAll(tree, (n) => n.attrs['data-map'] === 'counts')[0] ?? ''), /0100000000000000/);
  assert.equal(findAll(tree, (n) => n.attrs['data-outcome'] === 'XDP_TX').length, 1);
});

void test('a fault shows where and why; notes are shown; a resized frame says so', () => {
  const f = buildFrame({ udp: {} });
  const fault = runResultTree(
    view(f, f, { outcome: { kind: 'fault', pc: 7, line: 'p.c:12', message: 'invalid access to packet' } }),
  );
  assert.match(textOf(fault), /fault at pc 7 \(p\.c:12\): invalid access to packet/);
  const noted = runResultTree(
    view(f, f, {
      notes: [explainRedirectMiss({ mapType: 'DEVMAP', map: 'tx_port', key: 2, fallback: 2 })],
    }),
  );
  assert.match(textOf(noted), /DEVMAP tx_port key 2 not found → XDP_PASS \(flags\)/);
  const cut = runResultTree(view(f.subarray(14), f));
  assert.match(textOf(cut), /50 bytes after the run, 64 before/);
  // The schema refuses what a hostile host (or a bug) could send.
  assert.notEqual(runResultView.check({ ...view(f, f), insns: -1 }, 'view'), undefined);
});

void test('a program our verifier rejects: the panel names the rejection above the verdict (issue 11)', () => {
  const frame = buildFrame({ udp: { dport: 9 } });
  const warning =
    "the kernel's verifier would reject xdp_ttl: ttl.bpf.c:19: invalid access to packet, off=22 size=1, R1(id=0,off=22,r=14)";
  const v = view(frame, frame, { verifier: warning });
  assert.equal(runResultView.check(v, 'view'), undefined);
  const tree = runResultTree(v);
  const banner = findAll(tree, (n) => n.attrs.class === 'verifier-warning');
  assert.equal(banner.length, 1);
  assert.equal(textOf(banner[0]!), `⚠ ${warning}`);
  assert.equal(banner[0]?.attrs.role, 'alert');
  // An accepted program (no `verifier`): no banner.
  assert.equal(
    findAll(runResultTree(view(frame, frame)), (n) => n.attrs.class === 'verifier-warning').length,
    0,
  );
});
