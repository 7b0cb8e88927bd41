// The conntrack table: entries from specs (checked field by field), lookups by direction and zone
// as nf_conntrack_find_get matches them, insert clashes, expiry, and the nf_conn image layout.
import assert from 'node:assert/strict';
import test from 'node:test';
import { ConntrackError, ConntrackTable, CT_HZ } from './conntrack';
import { NF_CONN_6_18 } from './nfConn';
import { bundledBtf } from '../elf/bundledBtf';
import { Btf } from '../elf/btf';
import { nfConnLayout } from './nfConn';

const v4 = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));

void test('entries are found by their original and reply tuples, in their zone only', () => {
  let ns = 1_000_000_000n;
  const t = new ConntrackTable(() => ns);
  const e = t.add({ proto: 'udp', src: '10.0.0.1', sport: 1, dst: '10.0.0.2', dport: 2, zone: 5 }, '$[0]');
  const orig = { l3num: 2, protonum: 17, src: v4('10.0.0.1'), dst: v4('10.0.0.2'), sport: 1, dport: 2 };
  const reply = { ...orig, src: orig.dst, dst: orig.src, sport: 2, dport: 1 };
  assert.equal(t.find(orig, 0, 3), undefined, 'another zone');
  assert.equal(t.find(orig, 5, 3)?.dir, 0);
  assert.equal(t.find(reply, 5, 3)?.dir, 1);
  assert.equal(t.find({ ...orig, protonum: 6 }, 5, 3), undefined, 'another protocol');
  assert.equal(e.status, 0x0e, 'CONFIRMED | ASSURED | SEEN_REPLY by default');
  // UDP's default 120 s run out: nf_ct_is_expired hides the entry.
  ns += 121_000_000_000n;
  assert.equal(t.find(orig, 5, 3), undefined);
  assert.equal(t.jiffies() - e.timeout > 0, true);
});

void test('an insert clashing with either direction of a tracked connection is -EEXIST', () => {
  const t = new ConntrackTable(() => 0n);
  t.add({ proto: 'tcp', src: '10.0.0.1', sport: 1, dst: '10.0.0.2', dport: 2 }, 'a');
  const reply = { l3num: 2, protonum: 6, src: v4('10.0.0.2'), dst: v4('10.0.0.1'), sport: 2, dport: 1 };
  assert.equal(t.insert(t.alloc(reply, 0, 3, 10 * CT_HZ)), -17);
  assert.throws(
    () => t.add({ proto: 'tcp', src: '10.0.0.2', sport: 2, dst: '10.0.0.1', dport: 1 }, '$.conntrack[1]'),
    /\$\.conntrack\[1\]: the connection is already in the table/,
  );
});

void test('bad specs name the field and why', () => {
  const t = new ConntrackTable(() => 0n);
  const base = { proto: 'tcp' as const, src: '10.0.0.1', sport: 1, dst: '10.0.0.2', dport: 2 };
  const bad = (spec: object, re: RegExp): void =>
    assert.throws(
      () => t.add({ ...base, ...spec }, '$.c[0]'),
      (e) => {
        assert.ok(e instanceof ConntrackError);
        assert.match(e.message, re);
        return true;
      },
    );
  bad({ proto: 'icmp' }, /\$\.c\[0\]\.proto: 'icmp' is not tcp or udp/);
  bad({ sport: 70000 }, /\$\.c\[0\]\.sport: 70000 is not a port/);
  bad({ dst: 'fd00::2' }, /not of the same address family/);
  bad({ src: '10.0.0' }, /\$\.c\[0\]\.src: '10\.0\.0' is not an IPv4 address/);
  bad({ status: ['ASSURED', 'NOPE'] }, /\$\.c\[0\]\.status: 'NOPE' is not a conntrack status bit/);
});

void test('describe gives status, mark, seconds left and RFC 5952 IPv6 text', () => {
  const t = new ConntrackTable(() => 0n);
  t.add(
    {
      proto: 'udp',
      src: 'fd00::1',
      sport: 1,
      dst: 'fd00::2',
      dport: 2,
      status: ['IPS_ASSURED'],
      mark: 7,
      timeout: 30,
    },
    'a',
  );
  assert.deepEqual(t.describe(), [
    { proto: 'udp', src: 'fd00::1', sport: 1, dst: 'fd00::2', dport: 2, status: 0x0c, mark: 7, timeout: 30 },
  ]);
});

void test("nf_conn's layout comes from the kernel BTF (the bundled 6.18 one matches the constants)", () => {
  assert.deepEqual(nfConnLayout(new Btf(bundledBtf())), NF_CONN_6_18);
  const t = new ConntrackTable(() => 0n);
  const e = t.add({ proto: 'tcp', src: '10.0.0.1', sport: 1, dst: '10.0.0.2', dport: 2, mark: 9 }, 'a');
  const dv = new DataView(e.image.buffer);
  assert.equal(dv.getUint32(NF_CONN_6_18.status, true), 0x0e);
  assert.equal(dv.getUint32(NF_CONN_6_18.mark!, true), 9);
  // tuplehash[0].tuple.src.u3.ip, then tuplehash[1] (the reply) starts with the original dst.
  assert.deepEqual(Array.from(e.image.subarray(32, 36)), [10, 0, 0, 1]);
  assert.deepEqual(Array.from(e.image.subarray(88, 92)), [10, 0, 0, 2]);
});

void test('the table is hashed by tuple and zone: every entry of many is found in both directions', () => {
  const t = new ConntrackTable(() => 0n);
  const n = 2000;
  for (let i = 0; i < n; i++)
    t.add(
      {
        proto: i % 2 ? 'tcp' : 'udp',
        src: `10.0.${i >> 8}.${i & 255}`,
        sport: 1000 + i,
        dst: '10.1.0.1',
        dport: 53,
        zone: i % 3,
      },
      `[${i}]`,
    );
  for (let i = 0; i < n; i++) {
    const orig = {
      l3num: 2,
      protonum: i % 2 ? 6 : 17,
      src: v4(`10.0.${i >> 8}.${i & 255}`),
      dst: v4('10.1.0.1'),
      sport: 1000 + i,
      dport: 53,
    };
    const reply = { ...orig, src: orig.dst, dst: orig.src, sport: 53, dport: 1000 + i };
    assert.equal(t.find(orig, i % 3, 3)?.entry, t.entries[i]);
    assert.equal(t.find(reply, i % 3, 3)?.dir, 1);
    assert.equal(t.find(orig, (i + 1) % 3, 3), undefined, 'another zone');
  }
});

void test('a zone of one direction: the lookup hashes with the original-direction id, as the kernel does', () => {
  const t = new ConntrackTable(() => 0n);
  const orig = { l3num: 2, protonum: 17, src: v4('10.0.0.1'), dst: v4('10.0.0.2'), sport: 1, dport: 2 };
  const reply = { ...orig, src: orig.dst, dst: orig.src, sport: 2, dport: 1 };
  // Zone 7 applies to the original direction only (NF_CT_ZONE_DIR_ORIG): the reply is hashed in zone 0.
  assert.equal(t.insert(t.alloc(orig, 7, 1, 10 * CT_HZ)), 0);
  assert.equal(t.find(orig, 7, 1)?.dir, 0);
  // ____nf_conntrack_find hashes the reply tuple with zone id 7 (the lookup's original direction),
  // while the entry's reply sits in zone 0's bucket: not found, although nf_ct_zone_equal would hold.
  assert.equal(t.find(reply, 7, 1), undefined);
  assert.equal(t.find(reply, 0, 3)?.dir, 1);
  // Inserting the same connection again clashes in either direction's own bucket.
  assert.equal(t.insert(t.alloc(orig, 7, 1, 10 * CT_HZ)), -17);
});

void test('an IPv4 bpf_sock_tuple lookup (one pass) finds what the tuple walk finds: zones, directions, expiry', () => {
  let now = 0n;
  const t = new ConntrackTable(() => now);
  const tuple = (i: number) => ({
    l3num: 2,
    protonum: i % 2 ? 6 : 17,
    src: v4(`10.2.${i >> 8}.${i & 255}`),
    dst: v4('10.3.0.1'),
    sport: 2000 + (i % 7),
    dport: 443,
  });
  // Zone ids 0..2 in directions both/orig/reply, timeouts 1..20 s: some expire below.
  for (let i = 0; i < 300; i++)
    assert.equal(t.insert(t.alloc(tuple(i), i % 3, 1 + (i % 3), t.jiffies() + (1 + (i % 20)) * CT_HZ)), 0);
  const bytes = (x: ReturnType<typeof tuple>): DataView => {
    const b = new Uint8Array(12);
    b.set(x.src);
    b.set(x.dst, 4);
    const v = new DataView(b.buffer);
    v.setUint16(8, x.sport, false);
    v.setUint16(10, x.dport, false);
    return v;
  };
  const found = [0, 0];
  for (const [k, at] of [0n, 10_000_000_000n].entries()) {
    now = at;
    for (let i = 0; i < 300; i++)
      for (const dir of [0, 1])
        for (const zone of [0, 1, 2])
          for (const zdir of [1, 2, 3]) {
            const o = tuple(i);
            const x = dir ? { ...o, src: o.dst, dst: o.src, sport: o.dport, dport: o.sport } : o;
            const walk = t.find(x, zone, zdir);
            const one = t.findSockTuple(bytes(x), 0, 12, x.protonum, zone, zdir);
            assert.equal(one, walk?.entry, `entry ${i} dir ${dir} zone ${zone}/${zdir} at ${at}`);
            if (one) assert.equal(t.foundDir, walk?.dir);
            if (one) found[k]!++;
          }
  }
  // Both outcomes occur, and expiry removes some at 10 s.
  assert.ok(found[0]! > found[1]! && found[1]! > 0 && found[0]! < 300 * 18, `found ${found.join(', ')}`);
});

void test('a changed ct->timeout expires the entry (image and lookup agree), and an expired oldest match does not hide a live newer one', () => {
  let now = 0n;
  const t = new ConntrackTable(() => now);
  const spec = { proto: 'tcp' as const, src: '10.4.0.1', sport: 5, dst: '10.4.0.2', dport: 6, timeout: 10 };
  const old = t.add(spec, '$[0]');
  const tuple = new DataView(Uint8Array.of(10, 4, 0, 1, 10, 4, 0, 2, 0, 5, 0, 6).buffer);
  const find = () => t.findSockTuple(tuple, 0, 12, 6, 0, 3);
  assert.equal(find(), old);
  // A kfunc's write of ct->timeout (bpf_ct_change_timeout): the image a program reads and the lookup agree.
  old.timeout = t.jiffies();
  assert.equal(find(), undefined, 'expired by its image');
  assert.equal(new DataView(old.image.buffer).getUint32(NF_CONN_6_18.timeout, true), t.jiffies());
  const live = t.add(spec, '$[1]');
  assert.equal(find(), live, 'the one-pass lookup walks past the expired oldest node');
  assert.equal(t.find(old.orig, 0, 3)?.entry, live);
  now += 20_000_000_000n;
  assert.equal(find(), undefined, 'both expired');
});
