// The hash family over its typed-array index: the kernel's update flags and errnos, E2BIG when a
// HASH is full, LRU eviction of the least recently used, per-CPU values, stable value pointers,
// memory that grows with the entries present, and a property test against a JS Map model.
import assert from 'node:assert/strict';
import test from 'node:test';
import { BpfSystem } from '../vm/bpfSystem';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, MapType, memView } from './bpfMap';
import type { HashMap } from './hashMap';

const E = { ENOENT: -2, E2BIG: -7, ENOMEM: -12, EEXIST: -17, EINVAL: -22 };
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const le = (n: number, size = 4): Uint8Array => {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = Math.floor(n / 256 ** i) & 0xff;
  return b;
};
function hash(
  type: number,
  keySize: number,
  valueSize: number,
  maxEntries: number,
  sys = new BpfSystem(),
): HashMap {
  return sys.createMap({ name: 'h', type, keySize, valueSize, maxEntries, flags: 0 }) as HashMap;
}

void test('HASH: BPF_NOEXIST / BPF_EXIST / bad flags, delete, E2BIG when full', () => {
  const m = hash(MapType.HASH, 6, 8, 2);
  const a = bytes(1, 2, 3, 4, 5, 6);
  const b = bytes(1, 2, 3, 4, 5, 7);
  assert.equal(m.userUpdate(a, le(1, 8), BPF_EXIST), E.ENOENT);
  assert.equal(m.userUpdate(a, le(1, 8), BPF_NOEXIST), 0);
  assert.equal(m.userUpdate(a, le(2, 8), BPF_NOEXIST), E.EEXIST);
  assert.equal(m.userUpdate(a, le(3, 8), BPF_EXIST), 0);
  assert.equal(m.userUpdate(a, le(3, 8), 7), E.EINVAL);
  assert.deepEqual(m.userLookup(a), le(3, 8));
  assert.equal(m.userUpdate(b, le(4, 8), BPF_ANY), 0);
  assert.equal(m.userUpdate(bytes(9, 9, 9, 9, 9, 9), le(5, 8), BPF_ANY), E.E2BIG);
  assert.equal(m.userDelete(a), 0);
  assert.equal(m.userDelete(a), E.ENOENT);
  assert.equal(m.userLookup(a), E.ENOENT);
  assert.equal(m.userUpdate(bytes(9, 9, 9, 9, 9, 9), le(5, 8), BPF_ANY), 0);
  assert.deepEqual(
    m.dump().map((e) => [...e.key]),
    [
      [1, 2, 3, 4, 5, 7],
      [9, 9, 9, 9, 9, 9],
    ],
  );
});

void test('LRU_HASH evicts the least recently used; a lookup makes an entry recent', () => {
  const m = hash(MapType.LRU_HASH, 4, 4, 3);
  for (const k of [1, 2, 3]) assert.equal(m.userUpdate(le(k), le(k * 10), BPF_ANY), 0);
  assert.ok(m.lookup(le(1), 0)); // 1 is now the most recent: 2 is the oldest
  assert.equal(m.userUpdate(le(4), le(40), BPF_ANY), 0);
  assert.equal(m.userLookup(le(2)), E.ENOENT);
  assert.deepEqual(
    m.dump().map((e) => e.key[0]),
    [3, 1, 4],
  );
  assert.equal(m.size, 3);
});

void test('a lookup returns the same value region while the entry exists; a deleted entry’s region is freed', () => {
  const sys = new BpfSystem();
  const m = hash(MapType.HASH, 12, 16, 1000, sys);
  const key = bytes(10, 0, 0, 1, 10, 0, 0, 2, 0x10, 0, 0, 0x50);
  assert.equal(m.userUpdate(key, le(7, 16), BPF_ANY), 0);
  const r = m.lookupAt(memView(key), 0, 0)!;
  assert.ok(r);
  for (let i = 0; i < 100; i++) m.userUpdate(le(1000 + i, 12), le(i, 16), BPF_ANY); // growth moves no value
  assert.equal(m.lookupAt(memView(key), 0, 0), r);
  r.u8[0] = 99; // a program's store through the pointer
  assert.equal((m.userLookup(key) as Uint8Array)[0], 99);
  assert.equal(m.userDelete(key), 0);
  assert.notEqual(sys.machine.R[r.id], r);
});

void test('PERCPU_HASH: a new entry starts zeroed on the other CPUs; user space sees every CPU', () => {
  const sys = new BpfSystem({ possibleCpus: 3 });
  const m = hash(MapType.PERCPU_HASH, 4, 4, 8, sys);
  assert.equal(m.update(le(5), le(0x11), BPF_ANY, 1), 0);
  const all = m.userLookup(le(5)) as Uint8Array;
  assert.equal(all.length, 24); // round_up(4, 8) per CPU
  assert.deepEqual([all[0], all[8], all[16]], [0, 0x11, 0]);
  assert.equal(m.lookup(le(5), 2)!.u8[0], 0);
  assert.equal(m.dump()[0]!.values!.length, 3);
});

void test('a 16 M-entry HASH costs memory for the entries present, not max_entries', () => {
  const sys = new BpfSystem();
  const m = hash(MapType.HASH, 4, 4, 16_777_214, sys);
  assert.equal(sys.mapMemory.used, 0);
  for (let i = 0; i < 10_000; i++) assert.equal(m.userUpdate(le(i * 7919), le(i), BPF_ANY), 0);
  assert.ok(sys.mapMemory.used < 1 << 20, `${sys.mapMemory.used} bytes for 10 000 entries`);
  assert.deepEqual(m.userLookup(le(42 * 7919)), le(42));
});

void test('out of the map memory budget: an insert fails with ENOMEM and the map stays usable', () => {
  const sys = new BpfSystem({ mapMemoryBudget: 64 * 1024 });
  const m = hash(MapType.HASH, 8, 64, 1_000_000, sys);
  let i = 0;
  let rc = 0;
  for (; i < 100_000 && rc === 0; i++) rc = m.userUpdate(le(i, 8), le(i, 64), BPF_ANY);
  assert.equal(rc, E.ENOMEM);
  assert.ok(i > 100);
  assert.equal(m.size, i - 1);
  assert.deepEqual(m.userLookup(le(3, 8)), le(3, 64));
  assert.equal(m.userDelete(le(3, 8)), 0);
  assert.equal(m.userUpdate(le(3, 8), le(4, 64), BPF_ANY), 0);
});

// Sparse keys differ in one byte only (any word of the key): the whole-word lookup (HashIndex.find's
// 1–4-word path) must compare every word, not only the first.
void test('property: random updates, deletes and lookups agree with a model (key sizes 3–20, dense and sparse keys)', () => {
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const sizes = [3, 4, 6, 8, 12, 16, 20];
  for (const [keySize, sparse] of [
    ...sizes.map((k) => [k, false] as const),
    ...sizes.map((k) => [k, true] as const),
  ]) {
    for (const type of [MapType.HASH, MapType.LRU_HASH]) {
      const max = 64;
      const m = hash(type, keySize, 8, max);
      const model = new Map<string, Uint8Array>(); // insertion/recency order like the map's
      const keyOf = (n: number): Uint8Array => {
        const k = new Uint8Array(keySize);
        if (sparse) {
          k[n % keySize] = 1 + Math.floor(n / keySize);
          return k;
        }
        for (let i = 0; i < keySize; i++) k[i] = (n * (i + 3)) & 0xff;
        k[0] = n;
        return k;
      };
      for (let step = 0; step < 3000; step++) {
        const n = rnd(100);
        const key = keyOf(n);
        const id = key.join(',');
        const op = rnd(4);
        if (op === 0) {
          const rc = m.userDelete(key);
          assert.equal(rc, model.delete(id) ? 0 : E.ENOENT);
        } else if (op === 1) {
          const got = m.lookup(key, 0);
          const want = model.get(id);
          assert.equal(got ? [...got.u8].join() : undefined, want ? [...want].join() : undefined);
          if (want && type === MapType.LRU_HASH) {
            model.delete(id);
            model.set(id, want);
          }
        } else {
          const v = le(step, 8);
          const rc = m.userUpdate(key, v, BPF_ANY);
          if (model.has(id)) {
            assert.equal(rc, 0);
            if (type === MapType.LRU_HASH) model.delete(id);
            model.set(id, v);
          } else if (model.size >= max && type === MapType.HASH) assert.equal(rc, E.E2BIG);
          else {
            assert.equal(rc, 0);
            if (model.size >= max) model.delete(model.keys().next().value as string);
            model.set(id, v);
          }
        }
      }
      assert.deepEqual(
        m.dump().map((e) => `${e.key.join(',')}=${[...e.value].join()}`),
        [...model].map(([k, v]) => `${k}=${[...v].join()}`),
        `key size ${keySize}, type ${type}${sparse ? ', sparse keys' : ''}`,
      );
    }
  }
});
