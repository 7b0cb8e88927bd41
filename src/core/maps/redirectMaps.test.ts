// User-space update/delete/lookup rules and errnos of the four redirect maps, row by row from
// redirect-semantics.md §1.3 (each row there was verified on a 6.18 kernel).
import assert from 'node:assert/strict';
import test from 'node:test';
import { BpfSystem } from '../vm/bpfSystem';
import type { XdpProgramHandle } from '../vm/xdpRun';
import { MapCreateError } from './createMap';
import type { CpumapEntry } from './cpumap';
import type { CpuMap } from './cpumap';
import type { DevMap, DevmapEntry } from './devmap';
import type { DevMapHash } from './devmapHash';
import type { XskMap } from './xskmap';

const E = {
  ENOENT: -2,
  E2BIG: -7,
  EBADF: -9,
  ENOMEM: -12,
  EEXIST: -17,
  ENODEV: -19,
  EINVAL: -22,
  EOVERFLOW: -75,
  EOPNOTSUPP: -95,
};
const k = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const prog = (attach: 'xdp' | 'devmap' | 'cpumap', frags = false): XdpProgramHandle => ({
  name: `p_${attach}`,
  id: 42,
  section: attach === 'xdp' ? 'xdp' : `xdp/${attach}`,
  attach,
  frags,
  run: () => ({ action: 2, insns: 0 }),
});
const system = (): BpfSystem =>
  new BpfSystem({ possibleCpus: 2, redirectEnv: { ifindexExists: (i) => i === 5 || i === 6 } });
const def = (name: string, type: number, valueSize = 8, maxEntries = 4) => ({
  name,
  type,
  keySize: 4,
  valueSize,
  maxEntries,
  flags: 0,
});

void test('DEVMAP §1.3 rules 1–7, delete and lookup', () => {
  const m = system().createMap(def('d', 14)) as DevMap;
  assert.equal(m.userUpdate(k(0), { ifindex: 5 }, 3), E.EINVAL, '1: flags > BPF_EXIST');
  assert.equal(m.userUpdate(k(4), { ifindex: 5 }, 0), E.E2BIG, '2: key ≥ max_entries');
  assert.equal(m.userUpdate(k(0), { ifindex: 5 }, 1), E.EEXIST, '3: NOEXIST always EEXIST');
  assert.equal(
    m.userUpdate(k(0), { ifindex: 0, prog: prog('devmap') }, 0),
    E.EINVAL,
    '4: ifindex 0 with a prog',
  );
  assert.equal(m.userUpdate(k(0), { ifindex: 7 }, 0), E.EINVAL, '5: unknown ifindex');
  assert.equal(m.userUpdate(k(0), { ifindex: 5, prog: prog('xdp') }, 0), E.EINVAL, '6: not a devmap program');
  assert.equal(m.userUpdate(k(0), { ifindex: 5, progFd: -1 }, 0), 0, '6: a negative fd is ignored');
  const egress = prog('devmap');
  assert.equal(
    m.userUpdate(k(1), { ifindex: 6, prog: egress }, 2),
    0,
    '7: BPF_EXIST on an empty slot succeeds',
  );
  assert.deepEqual(m.redirectTarget(1), { ifindex: 6, key: 1, prog: egress } satisfies DevmapEntry);
  assert.deepEqual([...(m.userLookup(k(1)) as Uint8Array)], [6, 0, 0, 0, 42, 0, 0, 0]);
  assert.equal(m.userLookup(k(2)), E.ENOENT);
  assert.equal(m.userUpdate(k(0), { ifindex: 0 }, 0), 0, '4: ifindex 0 clears');
  assert.equal(m.redirectTarget(0), undefined);
  assert.equal(m.userDelete(k(9)), E.EINVAL);
  assert.equal(m.userDelete(k(3)), 0, 'deleting an empty slot is fine');
  m.owner = { frags: true };
  assert.equal(
    m.userUpdate(k(2), { ifindex: 5, prog: prog('devmap', false) }, 0),
    E.EINVAL,
    '§5: owner frags mismatch',
  );
  assert.equal(
    m.userUpdate(k(2), new Uint8Array([5, 0, 0, 0, 3, 0, 0, 0]), 0),
    E.EINVAL,
    'raw bytes with an unresolvable fd',
  );
});

void test('DEVMAP_HASH §1.3: BPF_EXIST inserts, full map E2BIG, owner from the first egress program', () => {
  const m = system().createMap(def('h', 25, 8, 2)) as DevMapHash;
  assert.equal(m.userUpdate(k(100), { ifindex: 0 }, 0), E.EINVAL);
  assert.equal(m.userUpdate(k(100), { ifindex: 5 }, 2), 0, 'BPF_EXIST on a missing key inserts');
  assert.equal(m.userUpdate(k(100), { ifindex: 5 }, 1), E.EEXIST);
  assert.equal(m.userUpdate(k(101), { ifindex: 7 }, 0), E.EINVAL);
  assert.equal(m.userUpdate(k(101), { ifindex: 6, prog: prog('devmap', true) }, 0), 0);
  assert.equal(m.userUpdate(k(102), { ifindex: 6 }, 0), E.E2BIG);
  assert.equal(
    m.userUpdate(k(100), { ifindex: 6, prog: prog('devmap', false) }, 0),
    E.EINVAL,
    'owner is frags now',
  );
  assert.equal(m.redirectTarget(101)?.ifindex, 6);
  assert.equal(m.userDelete(k(555)), E.ENOENT);
  assert.equal(m.userLookup(k(555)), E.ENOENT);
});

void test('CPUMAP §1.3 rules 1–7 (any entry failure is ENOMEM)', () => {
  const m = system().createMap(def('c', 16, 8, 4)) as CpuMap;
  assert.equal(m.userUpdate(k(0), { qsize: 64 }, 4), E.EINVAL);
  assert.equal(m.userUpdate(k(4), { qsize: 64 }, 0), E.E2BIG);
  assert.equal(m.userUpdate(k(0), { qsize: 64 }, 1), E.EEXIST);
  assert.equal(m.userUpdate(k(0), { qsize: 16385 }, 0), E.EOVERFLOW);
  assert.equal(m.userUpdate(k(3), { qsize: 64 }, 0), E.ENODEV, 'CPU 3 is not possible on 2 CPUs');
  assert.equal(m.userUpdate(k(1), { qsize: 64, prog: prog('devmap') }, 0), E.ENOMEM);
  const remote = prog('cpumap');
  assert.equal(m.userUpdate(k(1), { qsize: 64, prog: remote }, 0), 0);
  assert.deepEqual(m.redirectTarget(1), { cpu: 1, qsize: 64, prog: remote } satisfies CpumapEntry);
  assert.equal(m.userUpdate(k(1), { qsize: 0 }, 0), 0, 'qsize 0 deletes');
  assert.equal(m.redirectTarget(1), undefined);
  assert.equal(m.userDelete(k(4)), E.EINVAL);
  assert.throws(
    () => system().createMap(def('big', 16, 8, 257)),
    (e: unknown) => e instanceof MapCreateError && e.errno === 7,
  );
});

void test('XSKMAP §1.3: sockets by name, lookup from user space always EOPNOTSUPP', () => {
  const m = system().createMap(def('x', 17, 4, 2)) as XskMap;
  assert.equal(m.userUpdate(k(0), { xsk: 'a' }, 3), E.EINVAL);
  assert.equal(m.userUpdate(k(2), { xsk: 'a' }, 0), E.E2BIG);
  assert.equal(m.userUpdate(k(0), new Uint8Array(4), 0), E.EBADF);
  assert.equal(m.userUpdate(k(0), { xsk: 'a' }, 2), E.ENOENT, 'BPF_EXIST on an empty slot');
  assert.equal(m.userUpdate(k(0), { xsk: 'a' }, 0), 0);
  assert.equal(m.userUpdate(k(0), { xsk: 'a' }, 1), 0, 'the same socket again');
  assert.equal(m.userUpdate(k(0), { xsk: 'b' }, 1), E.EEXIST);
  assert.equal(m.userLookup(), E.EOPNOTSUPP);
  assert.equal(m.redirectTarget(0)?.xsk, 'a');
  m.removeSocket('a');
  assert.equal(m.redirectTarget(0), undefined);
  assert.throws(() => system().createMap(def('x8', 17, 8, 2)), MapCreateError, 'value_size must be 4');
});
