// Arrays in lazily allocated pages: an untouched element reads as zeros and costs nothing, a write
// allocates one page, a lookup's region is the element's bytes; huge arrays dump their non-zero
// entries, small ones every entry; absurd definitions are refused naming the map and its size.
import assert from 'node:assert/strict';
import test from 'node:test';
import { BpfSystem } from '../vm/bpfSystem';
import type { ArrayMap } from './arrayMap';
import { BPF_ANY, BPF_NOEXIST, MapType, memView } from './bpfMap';
import { MapCreateError } from './createMap';
import { PAGE_BYTES } from './pagedValues';

const le = (n: number, size = 4): Uint8Array => {
  const b = new Uint8Array(size);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const array = (sys: BpfSystem, maxEntries: number, valueSize = 4, type: number = MapType.ARRAY): ArrayMap =>
  sys.createMap({ name: 'ring', type, keySize: 4, valueSize, maxEntries, flags: 0 }) as ArrayMap;

void test('a 32 M-entry ARRAY costs the pages touched; untouched elements read as zeros', () => {
  const sys = new BpfSystem();
  const m = array(sys, 33_554_944);
  assert.equal(sys.mapMemory.used, 0);
  assert.deepEqual(m.userLookup(le(33_554_943)), le(0));
  assert.equal(sys.mapMemory.used, 0, 'a user-space read allocates nothing');
  assert.equal(m.userUpdate(le(20_000_000), le(0xabcd), BPF_ANY), 0);
  assert.equal(sys.mapMemory.used, PAGE_BYTES);
  const r = m.lookupAt(memView(le(20_000_001)), 0, 0)!;
  assert.equal(r.u8.length, 4);
  r.u8[0] = 7; // a program's store through the pointer
  assert.deepEqual(m.userLookup(le(20_000_001)), le(7));
  assert.equal(m.lookupU32(20_000_001, 0), r, 'the same element keeps its region');
  assert.equal(m.lookupU32(33_554_944, 0), undefined);
  assert.equal(m.userUpdate(le(33_554_944), le(1), BPF_ANY), -7); // E2BIG
  assert.equal(m.userUpdate(le(1), le(1), BPF_NOEXIST), -17); // EEXIST: elements always exist
  assert.deepEqual(
    m.dump().map((e) => [new DataView(e.key.buffer).getUint32(0, true), e.value[0]]),
    [
      [20_000_000, 0xcd],
      [20_000_001, 7],
    ],
  );
});

void test('small arrays dump every entry; PERCPU_ARRAY keeps one value per CPU', () => {
  const sys = new BpfSystem({ possibleCpus: 2 });
  const m = array(sys, 3, 8, MapType.PERCPU_ARRAY);
  assert.equal(m.update(le(1), le(5, 8), BPF_ANY, 1), 0);
  const d = m.dump();
  assert.equal(d.length, 3);
  assert.deepEqual(
    d[1]!.values!.map((v) => v[0]),
    [0, 5],
  );
  assert.equal(m.lookupU32(1, 0)!.u8[0], 0);
  assert.equal(m.lookupU32(1, 1)!.u8[0], 5);
});

void test('value regions of a big array are swept between runs once the cache is large', () => {
  const sys = new BpfSystem();
  const m = array(sys, 1 << 24);
  for (let i = 0; i < 40_000; i++) m.lookupU32(i * 97, 0);
  assert.equal(sys.mapMemory.pending.length, 1);
  const before = sys.machine.R.length;
  sys.mapMemory.sweep();
  m.lookupU32(5, 0);
  assert.equal(sys.machine.R.length, before, 'freed region ids are reused');
});

void test('absurd definitions are refused with the map name and size, and the system keeps working', () => {
  const sys = new BpfSystem();
  const refused = (def: {
    type: number;
    valueSize: number;
    maxEntries: number;
    keySize?: number;
  }): MapCreateError => {
    try {
      sys.createMap({ name: 'huge', keySize: 4, flags: 0, ...def });
    } catch (e) {
      assert.ok(e instanceof MapCreateError);
      return e;
    }
    assert.fail('created');
  };
  let e = refused({ type: MapType.ARRAY, valueSize: 1 << 20, maxEntries: 0xffffffff });
  assert.equal(e.errno, 12);
  assert.match(e.message, /map 'huge': 4294967295 entries of 1048576 bytes \(4194304\.0 GiB\) exceed/);
  e = refused({ type: MapType.PERCPU_HASH, valueSize: 65536, maxEntries: 1 << 30 });
  assert.match(e.message, /map 'huge'.*on 2 CPUs/);
  e = refused({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 2 ** 31 });
  assert.match(e.message, /map 'huge': ring of 2\.0 GiB exceeds the VM's map memory budget/);
  e = refused({ type: MapType.HASH, valueSize: 4, maxEntries: 2 ** 40 });
  assert.match(e.message, /not a 32-bit count/);
  e = refused({ type: MapType.ARRAY, valueSize: 1 << 21, maxEntries: 1 });
  assert.equal(e.errno, 7);
  const ok = array(sys, 16);
  assert.equal(ok.userUpdate(le(3), le(3), BPF_ANY), 0);
});

void test('a global-data map larger than the budget is refused at creation (ENOMEM, naming it)', () => {
  const sys = new BpfSystem({ mapMemoryBudget: 1 << 16 });
  assert.throws(
    () =>
      sys.createMap(
        { name: 'x.bss', type: MapType.ARRAY, keySize: 4, valueSize: 1 << 20, maxEntries: 1, flags: 0 },
        new Uint8Array(1 << 20),
      ),
    (e: unknown) =>
      e instanceof MapCreateError && e.errno === 12 && /map 'x\.bss': 1\.0 MiB more/.test(e.message),
  );
});

void test('a QUEUE of millions is charged per item: past the budget a push fails with ENOMEM', () => {
  const sys = new BpfSystem({ mapMemoryBudget: 1 << 16 });
  const q = sys.createMap({
    name: 'q',
    type: MapType.QUEUE,
    keySize: 0,
    valueSize: 8,
    maxEntries: 1 << 24,
    flags: 0,
  });
  let rc = 0;
  let n = 0;
  for (; n < 10_000 && rc === 0; n++) rc = q.userUpdate(new Uint8Array(0), le(n, 8), 0);
  assert.equal(rc, -12);
  assert.ok(n > 100 && n < 1000, `${n} pushes`);
  assert.ok(q.userLookup(new Uint8Array(0)) instanceof Uint8Array);
});
