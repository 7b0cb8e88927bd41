// Maps of the types the VM only declares: created under the kernel's own creation rules (each refusal
// names the map and the rule), and empty from both sides: NULL lookups, EOPNOTSUPP updates.
import assert from 'node:assert/strict';
import test from 'node:test';
import { BpfSystem } from '../vm/bpfSystem';
import type { MapDef } from './bpfMap';
import { MapCreateError } from './createMap';

const def = (d: Partial<MapDef> & { type: number }): MapDef => ({
  name: 'm',
  keySize: 4,
  valueSize: 8,
  maxEntries: 16,
  flags: 0,
  ...d,
});
const refusal = (d: MapDef): string => {
  try {
    new BpfSystem().createMap(d);
  } catch (e) {
    assert.ok(e instanceof MapCreateError, String(e));
    return `${e.errno} ${e.message}`;
  }
  return 'created';
};

void test('socket, cgroup and local storage, stack traces, user rings and arenas are created by the kernel rules', () => {
  const ok: MapDef[] = [
    def({ type: 24, maxEntries: 0, flags: 1 }), // SK_STORAGE
    def({ type: 19, keySize: 16, maxEntries: 0 }), // CGROUP_STORAGE
    def({ type: 15, valueSize: 8 }), // SOCKMAP
    def({ type: 18, keySize: 12, valueSize: 4 }), // SOCKHASH
    def({ type: 7, valueSize: 127 * 8 }), // STACK_TRACE
    def({ type: 20, valueSize: 8 }), // REUSEPORT_SOCKARRAY
    def({ type: 31, keySize: 0, valueSize: 0, maxEntries: 4096 }), // USER_RINGBUF
    def({ type: 33, keySize: 0, valueSize: 0, maxEntries: 10, flags: 1024 }), // ARENA
    def({ type: 30, keySize: 0, valueSize: 4 }), // BLOOM_FILTER
  ];
  for (const d of ok) assert.equal(refusal(d), 'created', `type ${d.type}`);
  const m = new BpfSystem().createMap(ok[0]!);
  assert.equal(m.lookup(new Uint8Array(4), 0), undefined);
  assert.equal(m.update(new Uint8Array(4), new Uint8Array(8), 0, 0), -95);
  assert.equal(m.userLookup(new Uint8Array(4)), -95);
  assert.deepEqual(m.dump(), []);
});

void test('what the kernel refuses to create is refused with its errno and rule', () => {
  assert.match(
    refusal(def({ type: 24, maxEntries: 0 })),
    /^22 map 'm': BPF_MAP_TYPE_SK_STORAGE needs map_flags BPF_F_NO_PREALLOC/,
  );
  assert.match(refusal(def({ type: 24, flags: 1 })), /^22 .*needs max_entries 0 and key_size 4/);
  assert.match(refusal(def({ type: 19, maxEntries: 0 })), /^22 .*key_size 16/);
  assert.match(
    refusal(def({ type: 19, keySize: 8, maxEntries: 0, valueSize: 8192 })),
    /^7 .*value_size above 4096/,
  );
  assert.match(refusal(def({ type: 15, valueSize: 2 })), /^22 .*value_size 4 or 8/);
  assert.match(refusal(def({ type: 18, keySize: 600 })), /^7 .*key_size 600/);
  assert.match(refusal(def({ type: 7, valueSize: 12 })), /^22 .*multiple of 8/);
  assert.match(refusal(def({ type: 31, keySize: 0, valueSize: 0, maxEntries: 6000 })), /^22 .*power of two/);
  assert.match(refusal(def({ type: 33, keySize: 0, valueSize: 0 })), /^22 .*BPF_F_MMAPABLE/);
  assert.match(refusal(def({ type: 26 })), /^22 .*STRUCT_OPS is not supported by the XDP Lab VM/);
});
