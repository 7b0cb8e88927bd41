// Production-sized maps end to end (issue 13.1): bigmaps.bpf.c (a 32 M-entry ARRAY, a 16 M-entry
// HASH, a 2 M LRU, a 1 M PERCPU_ARRAY, a 64 k DEVMAP_HASH) loads and runs on frames in little
// memory; a run that needs more map memory than the budget faults naming the map; the flow counter
// (flowcount.bpf.c) counts repeated runs in one HASH entry.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject } from '../elf/loadObject';
import { buildFrame } from '../packet/frameBuilder';
import type { BpfSystemOptions } from '../vm/bpfSystem';
import { BPF_ANY } from './bpfMap';

const objDir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');
const load = (name: string, systemOptions?: BpfSystemOptions) =>
  loadObject(new Uint8Array(fs.readFileSync(path.join(objDir, name))), {
    name: name.split('.')[0],
    ...(systemOptions ? { systemOptions } : {}),
  });
const le = (n: number, size = 4): Uint8Array => {
  const b = new Uint8Array(size);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const RING_SIZE = 33_554_944;
/** The ring slot bigmaps.bpf.c computes for a frame (addresses and ports in network order). */
function slotOf(frame: Uint8Array): number {
  const dv = new DataView(frame.buffer, frame.byteOffset);
  const saddr = dv.getUint32(26, true);
  const daddr = dv.getUint32(30, true);
  const sport = dv.getUint16(34, true);
  const dport = dv.getUint16(36, true);
  return ((saddr ^ daddr ^ ((sport << 16) | dport)) >>> 0) % RING_SIZE;
}

void test('bigmaps: a 32 M-entry ring and a 16 M-entry hash load and run in little memory', () => {
  const obj = load('bigmaps.bpf.o');
  const sys = obj.system;
  assert.ok(sys.mapMemory.used < 1 << 16, `${sys.mapMemory.used} bytes of map storage after load`);
  const frame = buildFrame({ udp: { src: '10.0.0.1', dst: '10.0.0.2', sport: 4096, dport: 80 } });
  const slot = slotOf(frame);
  assert.equal(obj.map('ring')!.userUpdate(le(slot), le(12_345_678), BPF_ANY), 0);
  const server = new Uint8Array([5, 0, 0, 0, 2, 0, 0, 0, 0, 0x2a, 1, 0]);
  assert.equal(obj.map('servers')!.userUpdate(le(12_345_678), server, BPF_ANY), 0);
  assert.equal(obj.map('tx')!.userUpdate(le(5), le(5), BPF_ANY), 0);
  const prog = obj.program('xdp_bigmaps')!;
  const r = prog.testRun(frame, { repeat: 3 });
  assert.equal(r.fault, undefined);
  assert.equal(r.retval, 4, 'XDP_REDIRECT through the DEVMAP_HASH');
  assert.deepEqual([...r.dataOut.subarray(0, 6)], [2, 0, 0, 0, 0, 0x2a]);
  const flows = obj.map('flows')!.dump();
  assert.equal(flows.length, 1);
  assert.deepEqual(flows[0]!.value, le(12_345_678));
  // A frame whose flow has no ring entry: slot value 0 names no server → XDP_PASS.
  const other = buildFrame({ udp: { src: '10.9.9.9', dst: '10.0.0.2', sport: 1, dport: 2 } });
  assert.equal(prog.testRun(other).retval, 2);
  assert.equal(obj.map('flows')!.dump().length, 2);
  assert.ok(sys.mapMemory.used < 1 << 20, `${sys.mapMemory.used} bytes of map storage after the runs`);
});

void test('a run needing more map memory than the budget faults naming the map; the VM keeps working', () => {
  const obj = load('bigmaps.bpf.o', { mapMemoryBudget: 16 * 1024 });
  const prog = obj.program('xdp_bigmaps')!;
  // Each new flow inserts into the LRU; distinct ring slots touch distinct pages of `ring`.
  let fault: string | undefined;
  for (let i = 0; i < 64 && !fault; i++) {
    const frame = buildFrame({
      udp: { src: `10.${i}.${i}.1`, dst: '10.0.0.2', sport: 1000 + i * 4099, dport: 80 },
    });
    fault = prog.testRun(frame).fault?.message;
  }
  assert.match(
    fault ?? '',
    /map '(ring|hits)': 4\.0 KiB more would exceed the VM's map memory budget of 16\.0 KiB/,
  );
  const udp = buildFrame({ udp: { src: '10.0.0.1', dst: '10.0.0.2', sport: 4096, dport: 80 } });
  assert.equal(obj.map('flows')!.userDelete(new Uint8Array(12)), -2);
  assert.ok(prog.testRun(udp.slice(0, 30)).retval === 1, 'a runt still runs (XDP_DROP)');
});

void test('flowcount: repeated runs count packets and bytes in one HASH entry', () => {
  const obj = load('flowcount.bpf.o');
  const frame = buildFrame({ udp: { src: '10.0.0.1', dst: '10.0.0.2', sport: 4096, dport: 80 } });
  const r = obj.program('xdp_flowcount')!.testRun(frame, { repeat: 1000 });
  assert.equal(r.retval, 2);
  const d = obj.map('flow_stats')!.dump();
  assert.equal(d.length, 1);
  const v = new DataView(d[0]!.value.buffer);
  assert.equal(v.getUint32(0, true), 1000);
  assert.equal(v.getUint32(8, true), 1000 * frame.length);
});
