// The premise of the analyzer's map-key-padding diagnostic, checked on the real kernel and on the VM's
// map: a hash map compares every byte of a key, padding included. The flow table of the analyzer's
// bad fixture (test/fixtures/analysis/bad/map_key_padding.bpf.c: struct flow_key, 12 bytes, 3 of
// padding) is created by the kernel from clang's object; an entry inserted with a zeroed key is found
// with a zeroed key and missed when only the padding differs. (No netns: pins under xlpad-.)
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { test } from 'node:test';
import { BpfSystem } from '../../src/core/vm/bpfSystem';
import { loadAll, mapUpdate } from './lib/bpftool';
import { compileBpf } from './lib/compile';
import { run } from './lib/exec';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';

const root = path.resolve(import.meta.dirname, '../..');
const hex = (b: Uint8Array): string[] => ['hex', ...Array.from(b, (x) => x.toString(16).padStart(2, '0'))];

/** struct flow_key { __u32 saddr; __u32 daddr; __u8 proto; } with its 3 padding bytes set to `pad`. */
function flowKey(pad: number): Uint8Array {
  const k = new Uint8Array(12);
  k.set([10, 0, 0, 1], 0);
  k.set([10, 0, 0, 2], 4);
  k[8] = 17;
  k.fill(pad, 9);
  return k;
}

void test(
  'a hash map key is compared whole: the same fields with other padding bytes miss, in the kernel and in the VM',
  { skip: probe() },
  async () => {
    await withLab('xlpad-', (lab) => {
      const obj = compileBpf(
        path.join(root, 'test/fixtures/analysis/bad/map_key_padding.bpf.c'),
        path.join(lab.tmp, 'flows.o'),
      );
      const flows = loadAll(obj, lab.pinDir('flows')).maps.flows;
      assert.ok(flows, 'the flows map is pinned');
      const info = JSON.parse(run(['bpftool', '-j', 'map', 'show', 'pinned', flows.pin]).stdout) as {
        bytes_key: number;
        type: string;
      };
      assert.deepEqual([info.type, info.bytes_key], ['lru_hash', 12], 'clang laid the key out in 12 bytes');
      const value = new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0]);
      mapUpdate(flows.pin, flowKey(0), value);
      const lookup = (k: Uint8Array) =>
        run(['bpftool', '-j', 'map', 'lookup', 'pinned', flows.pin, 'key', ...hex(k)], {
          allowFailure: true,
        });
      const zero = lookup(flowKey(0));
      assert.equal(zero.status, 0, zero.stderr);
      const garbage = lookup(flowKey(0xa5));
      assert.notEqual(garbage.status, 0, 'the kernel misses the key whose padding differs');
      // bpftool -j prints null (and fails) for a key that is not there.
      assert.match(garbage.stdout.trim() || garbage.stderr, /^null$|not found|No such file/i);
      const found = JSON.parse(zero.stdout) as { value: string[] };
      assert.equal(Number(found.value[0]), 7, 'the entry inserted with the zeroed key');

      // The VM's LRU_HASH, created from the same definition, agrees.
      const vm = new BpfSystem({ possibleCpus: 2 }).createMap({
        name: 'flows',
        type: 9,
        keySize: 12,
        valueSize: 8,
        maxEntries: 1024,
        flags: 0,
      });
      assert.equal(vm.userUpdate(flowKey(0), value, 0), 0);
      assert.ok(vm.userLookup(flowKey(0)) instanceof Uint8Array, 'found with the zeroed key');
      assert.equal(typeof vm.userLookup(flowKey(0xa5)), 'number', 'missed with other padding (an errno)');
    });
  },
);
