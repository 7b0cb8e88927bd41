// The conntrack kfuncs in the VM over test/fixtures/programs/conntrack.bpf.c (the kernel tier's
// conntrackKfuncs.test.ts holds the same frames against Linux): lookup by either direction,
// alloc + insert visible to the next run, opts errors, status rules, the loader's refusals, and an
// entry's region kept between lookups with the program's references counted.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject, LoadError } from '../elf/loadObject';
import { buildFrame } from '../packet/frameBuilder';
import { BpfSystem } from './bpfSystem';
import { kfuncDirect, kfuncRefusal, kfuncTable, vmKfuncArgs, vmKfuncId } from './kfuncs';
import { kfuncProto } from '../verifier/kfuncs';
import { ADDR_BASE, REGION_STACK0 } from './memory';
import { NF_CONN_6_18 } from '../xdp/nfConn';

const objDir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');
const bytes = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(objDir, name)));

/** The fixture's struct ct_report. */
function report(b: Uint8Array): Record<string, number> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    error: dv.getInt32(0, true),
    status: dv.getUint32(4, true),
    mark: dv.getUint32(8, true),
    dir: b[12] as number,
    zoneDir: b[13] as number,
    found: b[14] as number,
    setStatus: dv.getInt32(16, true),
    inserted: dv.getInt32(20, true),
    allocError: dv.getInt32(24, true),
    snat: dv.getInt32(32, true),
    dnat: dv.getInt32(36, true),
  };
}

function setup(tier?: 'js' | 'wasm') {
  const obj = loadObject(bytes('conntrack.bpf.o'), {
    name: 'conntrack',
    system: new BpfSystem(tier ? { tier } : {}),
  });
  obj.system.conntrack.add(
    { proto: 'tcp', src: '10.0.0.1', sport: 40000, dst: '10.0.0.2', dport: 80, mark: 42 },
    'entry',
  );
  const prog = obj.program('xdp_ct')!;
  const run = (frame: Uint8Array): Record<string, number> => {
    const r = prog.testRun(frame);
    assert.equal(r.fault, undefined, r.fault?.message);
    const v = obj.map('last')!.userLookup(new Uint8Array(4));
    assert.ok(v instanceof Uint8Array);
    return { retval: r.retval, ...report(v) };
  };
  return { obj, run };
}

const tcpOrig = buildFrame({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport: 40000, dport: 80 } });
const tcpReply = buildFrame({ ipv4: { src: '10.0.0.2', dst: '10.0.0.1' }, tcp: { sport: 80, dport: 40000 } });

void test('bpf_xdp_ct_lookup finds an entry by either direction and the program reads nf_conn via CO-RE', () => {
  const { run } = setup();
  const a = run(tcpOrig);
  // status: CONFIRMED | ASSURED | SEEN_REPLY (an established entry); change_status may not drop SEEN_REPLY.
  assert.deepEqual(
    [a.retval, a.found, a.status, a.mark, a.dir, a.zoneDir, a.setStatus],
    [2, 1, 14, 42, 0, 3, -16],
  );
  const b = run(tcpReply);
  assert.deepEqual([b.retval, b.found, b.dir], [2, 1, 1]);
  const miss = run(buildFrame({ tcp: { sport: 1, dport: 22 } }));
  assert.deepEqual([miss.retval, miss.found, miss.error], [1, 0, -2]);
});

void test('an entry allocated and inserted by one run is found by the next; the table keeps what it set', () => {
  const { obj, run } = setup();
  const frame = buildFrame({ udp: { sport: 5000, dport: 9 } });
  const first = run(frame);
  assert.deepEqual(
    [first.retval, first.found, first.error, first.inserted, first.setStatus],
    [3, 0, -2, 1, 0],
  );
  const second = run(frame);
  assert.deepEqual([second.retval, second.found, second.status], [2, 1, 0x0a]);
  const udp = obj.system.conntrack.describe().find((e) => e.dport === 9);
  assert.deepEqual(
    { ...udp, timeout: Math.round(udp?.timeout ?? 0) },
    {
      proto: 'udp',
      src: '10.0.0.1',
      sport: 5000,
      dst: '10.0.0.2',
      dport: 9,
      status: 10,
      mark: 0,
      timeout: 60,
    },
  );
});

void test('a 12-byte opts with a zone id is -EINVAL, written to opts.error', () => {
  const { run } = setup();
  const r = run(buildFrame({ udp: { sport: 5000, dport: 7 } }));
  assert.deepEqual([r.retval, r.allocError], [1, -22]);
});

void test('programs with kfuncs run on js even when wasm is asked for, with the same results', () => {
  const js = setup('js').run(tcpOrig);
  const wasm = setup('wasm').run(tcpOrig);
  assert.deepEqual(wasm, js);
});

void test('no nf_conn region outlives the run that acquired it', () => {
  const { obj, run } = setup();
  run(tcpOrig);
  assert.equal(obj.system.machine.kernelRefs.length, 0);
});

void test("the VM's kfuncs are the verifier's prototypes; metadata kfuncs and unknown ones are refused", () => {
  const table = kfuncTable();
  for (const name of ['bpf_xdp_ct_lookup', 'bpf_xdp_ct_alloc', 'bpf_ct_insert_entry', 'bpf_ct_release']) {
    const id = vmKfuncId(name);
    assert.ok(id !== undefined && table[id], name);
    assert.equal(vmKfuncArgs(id), kfuncProto(name)?.args.length, name);
  }
  assert.match(kfuncRefusal('bpf_xdp_metadata_rx_hash') ?? '', /device-bound/);
  assert.match(kfuncRefusal('bpf_nope') ?? '', /not found in kernel or module BTFs/);
  assert.equal(kfuncRefusal('bpf_ct_set_status'), undefined);
  assert.throws(() => loadObject(bytes('kfunc.bpf.o')), LoadError);
});

void test('bpf_ct_set_nat_info: SNAT and DNAT alter the reply tuple, which then finds the entry', () => {
  for (const tier of ['js', 'wasm'] as const) {
    const { obj, run } = setup(tier);
    const orig = buildFrame({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport: 5001, dport: 10 } });
    const a = run(orig);
    // IPS_CONFIRMED | SRC_NAT | DST_NAT | SRC_NAT_DONE | DST_NAT_DONE, as nf_nat_setup_info leaves them.
    assert.deepEqual(
      [a.retval, a.snat, a.dnat, a.inserted, a.status],
      [3, 0, 0, 1, 0x8 | 0x10 | 0x20 | 0x80 | 0x100],
    );
    const e = obj.system.conntrack.describe().find((x) => x.dport === 10);
    assert.deepEqual(e?.reply, { src: '10.0.0.99', sport: 10, dst: '192.0.2.9', dport: 4000 }, tier);
    // The reply the NATed connection gets: from the DNAT address to the SNAT one.
    const reply = run(
      buildFrame({ ipv4: { src: '10.0.0.99', dst: '192.0.2.9' }, udp: { sport: 10, dport: 4000 } }),
    );
    assert.deepEqual([reply.retval, reply.found, reply.dir], [2, 1, 1], tier);
    // The un-NATed inverse is no longer the entry's reply tuple.
    const plain = run(
      buildFrame({ ipv4: { src: '10.0.0.2', dst: '10.0.0.1' }, udp: { sport: 10, dport: 5001 } }),
    );
    assert.equal(plain.found, 0, tier);
  }
});

/**
 * The conntrack kfuncs called directly, as compiled code calls them: a bpf_sock_tuple for
 * 10.0.0.1:40000 → 10.0.0.2:80 at fp-512 and a 16-byte bpf_ct_opts at fp-496 of stack frame 0.
 */
function direct() {
  const system = new BpfSystem();
  const M = system.machine;
  system.conntrack.add({ proto: 'tcp', src: '10.0.0.1', sport: 40000, dst: '10.0.0.2', dport: 80 }, 'e');
  const stack = M.R[REGION_STACK0]!;
  const v = new DataView(stack.u8.buffer, stack.u8.byteOffset);
  [10, 0, 0, 1, 10, 0, 0, 2].forEach((x, i) => v.setUint8(i, x));
  v.setUint16(8, 40000, false);
  v.setUint16(10, 80, false);
  const arg = (i: number, hi: number, lo: number): void => {
    M.A[2 * i - 2] = hi;
    M.A[2 * i - 1] = lo;
  };
  const call = (name: string): number => M.kfuncs[vmKfuncId(name)!]!(M, 0);
  const lookup = (): number => {
    v.setInt32(16, -1, true); // netns_id = BPF_F_CURRENT_NETNS
    v.setUint8(24, 6); // l4proto
    arg(2, REGION_STACK0, ADDR_BASE);
    arg(3, 0, 12);
    arg(4, REGION_STACK0, ADDR_BASE + 16);
    arg(5, 0, 16);
    call('bpf_xdp_ct_lookup');
    return M.rh;
  };
  const onConn = (name: string, id: number): number => {
    arg(1, id, ADDR_BASE);
    return call(name);
  };
  return { system, M, lookup, onConn, v };
}

void test('an entry keeps its region between lookups: two references share it, the last release hides it', () => {
  const { M, lookup, onConn } = direct();
  const a = lookup();
  const regions = M.R.length;
  assert.ok(a > 0);
  assert.equal(lookup(), a, 'the kernel returns the same nf_conn twice (refcount 2)');
  assert.equal(M.kernelRefs.length, 1);
  onConn('bpf_ct_release', a);
  assert.equal(M.R[a]?.hi, NF_CONN_6_18.size, 'one reference is still held');
  onConn('bpf_ct_release', a);
  assert.deepEqual([M.kernelRefs.length, M.R[a]?.hi, M.R[a]?.whi], [0, 0, -1], 'released: an empty window');
  assert.throws(() => onConn('bpf_ct_change_status', a), /not an nf_conn a conntrack kfunc returned/);
  // The next lookup (the next run) takes the same region out of the parking: nothing allocated.
  assert.equal(lookup(), a);
  assert.equal(M.R.length, regions);
  assert.equal(M.R[a]?.hi, NF_CONN_6_18.size);
});

void test("a run's end frees what the program still holds; the next lookup gets a new region", () => {
  const { M, lookup, onConn } = direct();
  const a = lookup();
  M.dropKernelRefs();
  assert.equal(M.R[a]?.kind, 'null');
  const b = lookup();
  assert.equal(M.R[b]?.kind, 'kernelObject');
  assert.equal(M.kernelRefs.length, 1);
  onConn('bpf_ct_release', b);
  assert.equal(M.kernelRefs.length, 0);
});

void test('parked regions are bounded: looking up many flows does not grow the region table', () => {
  const { system, M, lookup, onConn, v } = direct();
  for (let i = 0; i < 600; i++)
    system.conntrack.add(
      { proto: 'tcp', src: `10.1.${i >> 8}.${i & 255}`, sport: 1, dst: '10.0.0.2', dport: 80 },
      `[${i}]`,
    );
  for (let i = 0; i < 600; i++) {
    [10, 1, i >> 8, i & 255].forEach((x, k) => v.setUint8(k, x));
    v.setUint16(8, 1, false);
    const id = lookup();
    assert.ok(id > 0, `flow ${i}`);
    onConn('bpf_ct_release', id);
  }
  assert.ok(M.R.filter((r) => r.kind === 'kernelObject').length <= 256);
  assert.ok(M.R.length < 300, `${M.R.length} regions`);
});

void test("a lookup's zone comes from opts' ct_zone_id and ct_zone_dir words, as __bpf_nf_ct_lookup reads them", () => {
  const { system, M, lookup, v } = direct();
  const zoned = system.conntrack.add(
    { proto: 'tcp', src: '10.0.0.1', sport: 40000, dst: '10.0.0.2', dport: 80, mark: 7, zone: 7 },
    'z',
  );
  v.setUint16(26, 7, true); // ct_zone_id
  v.setUint8(28, 0); // ct_zone_dir 0: NF_CT_DEFAULT_ZONE_DIR, written back
  const a = lookup();
  assert.ok(a > 0);
  assert.equal(M.R[a]?.ref, zoned, 'the zone-7 entry, not the default-zone one');
  assert.deepEqual([v.getUint8(25), v.getUint8(28)], [0, 3], 'opts.dir ORIGINAL, ct_zone_dir written back');
  v.setUint16(26, 8, true);
  v.setInt32(20, 0, true);
  assert.equal(lookup(), 0, 'no entry in zone 8');
  assert.equal(v.getInt32(20, true), -2, 'opts.error = -ENOENT');
  v.setUint16(26, 0, true);
  v.setUint8(29, 1); // a reserved byte set
  assert.equal(lookup(), 0);
  assert.equal(v.getInt32(20, true), -22, 'reserved bytes not zero: -EINVAL');
});

void test("bpf_ct_change_status and bpf_ct_change_timeout follow nf_conntrack_bpf.c's rules in both call forms", () => {
  // nf_ct_change_status_common as the kernel writes it: the checks one after the other.
  const expected = (old: number, status: number): [number, number] => {
    const d = old ^ status;
    if (d & 0x40) return [-22, old]; // IPS_SEQ_ADJUST
    if (d & 0x2 && !(status & 0x2)) return [-16, old]; // IPS_SEEN_REPLY
    if (d & 0x4 && !(status & 0x4)) return [-16, old]; // IPS_ASSURED
    const changeable = 0xffff & ~0xdbf9; // IPS_UNCHANGEABLE_MASK's complement below __IPS_MAX_BIT
    return [0, ((old & ~changeable) | (status & changeable)) >>> 0];
  };
  const { system, M, lookup, onConn } = direct();
  const e = system.conntrack.entries[0]!;
  const statuses = [0x8, 0xa, 0xc, 0xe, 0x4e, 0x2008, 0x400e, 0x200e, 0xffff, 0x8000000e];
  for (const direct of [false, true])
    for (const old of statuses)
      for (const status of statuses) {
        e.status = old;
        const id = lookup();
        let r0: number;
        if (direct) {
          const KD = kfuncDirect(vmKfuncId('bpf_ct_change_status')!)!;
          r0 = KD(M, 0, id, ADDR_BASE, 0, status | 0, 0, 0, 0, 0, 0, 0);
        } else {
          M.A[2] = 0;
          M.A[3] = status | 0;
          r0 = onConn('bpf_ct_change_status', id);
        }
        assert.deepEqual(
          [r0, e.status],
          expected(old, status),
          `${direct} ${old.toString(16)} → ${status.toString(16)}`,
        );
        onConn('bpf_ct_release', id);
      }
  // __nf_ct_change_timeout: FIXED_TIMEOUT -EPERM (unchanged), DYING -ETIME (changed), else jiffies + t.
  const now = system.conntrack.jiffies();
  for (const [status, msecs, ret, timeout] of [
    [0x8, 60000, 0, now + 15000],
    [0x8, 1001, 0, now + 251],
    [0x408, 5000, -1, 12345],
    [0x208, 4000, -62, now + 1000],
    [0x8, 60000, 0, now + 15000],
  ] as const) {
    e.status = status;
    e.timeout = 12345;
    const id = lookup();
    const KD = kfuncDirect(vmKfuncId('bpf_ct_change_timeout')!)!;
    assert.equal(KD(M, 0, id, ADDR_BASE, 0, msecs, 0, 0, 0, 0, 0, 0), ret, `status ${status.toString(16)}`);
    assert.equal(e.timeout, timeout >>> 0);
    assert.equal(system.conntrack.expired(e), false);
    onConn('bpf_ct_release', id);
  }
});
