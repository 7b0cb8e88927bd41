// The conntrack kfuncs (issue 13, xdp-synproxy) against the real thing: a namespace whose conntrack
// table `conntrack -I` fills, the fixture (test/fixtures/programs/conntrack.bpf.c) run by
// `bpftool prog run` inside it (BPF_PROG_TEST_RUN's device is the caller's loopback, so
// bpf_xdp_ct_lookup sees that namespace's table) and by the VM over the same entries: retval,
// output frame, the report map after every frame, and the table at the end must be equal.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject } from '../../src/core/elf/loadObject';
import { buildFrame } from '../../src/core/packet/frameBuilder';
import type { ConntrackSpec } from '../../src/core/xdp/conntrack';
import { BpfSystem } from '../../src/core/vm/bpfSystem';
import { loadAll, mapDump, progRun } from './lib/bpftool';
import { compileBpf } from './lib/compile';
import { inNetns, run } from './lib/exec';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';

const root = path.resolve(__dirname, '../..');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The entries both tables start with (`conntrack -I` in the kernel, ConntrackTable.add in the VM). */
const ENTRIES: ConntrackSpec[] = [
  {
    proto: 'tcp',
    src: '10.0.0.1',
    sport: 40000,
    dst: '10.0.0.2',
    dport: 80,
    status: ['ASSURED', 'SEEN_REPLY'],
    mark: 42,
    timeout: 120,
  },
  { proto: 'udp', src: '10.0.0.1', sport: 53, dst: '10.0.0.2', dport: 5353, status: [], timeout: 100 },
];

const FRAMES: [string, Uint8Array][] = [
  [
    'tcp, original direction',
    buildFrame({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport: 40000, dport: 80 } }),
  ],
  [
    'tcp, reply direction',
    buildFrame({ ipv4: { src: '10.0.0.2', dst: '10.0.0.1' }, tcp: { sport: 80, dport: 40000 } }),
  ],
  [
    'udp, unreplied entry',
    buildFrame({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport: 53, dport: 5353 } }),
  ],
  ['udp to 9, untracked: alloc + insert', buildFrame({ udp: { sport: 5000, dport: 9 } })],
  ['udp to 9 again: found', buildFrame({ udp: { sport: 5000, dport: 9 } })],
  ['ipv6 udp to 9: alloc + insert', buildFrame({ ipv6: {}, udp: { sport: 5000, dport: 9 } })],
  ['ipv6 udp to 9 again: found', buildFrame({ ipv6: {}, udp: { sport: 5000, dport: 9 } })],
  [
    'udp to 10: alloc + SNAT + DNAT + insert',
    buildFrame({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport: 5001, dport: 10 } }),
  ],
  [
    'udp from the DNAT address to the SNAT one: found in the reply direction',
    buildFrame({ ipv4: { src: '10.0.0.99', dst: '192.0.2.9' }, udp: { sport: 10, dport: 4000 } }),
  ],
  [
    'udp to 10 again, original direction: found',
    buildFrame({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport: 5001, dport: 10 } }),
  ],
  ['udp to 7: opts of 12 bytes with a zone (-EINVAL)', buildFrame({ udp: { sport: 5000, dport: 7 } })],
  ['tcp, untracked', buildFrame({ tcp: { sport: 1234, dport: 22 } })],
  ['arp', buildFrame({ arp: {} })],
];

/** struct ct_report of the fixture, as `bpftool -j map dump` formats it from BTF. */
function report(b: Uint8Array): Record<string, number> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    error: dv.getInt32(0, true),
    status: dv.getUint32(4, true),
    mark: dv.getUint32(8, true),
    dir: b[12] as number,
    zone_dir: b[13] as number,
    found: b[14] as number,
    pad: b[15] as number,
    set_status: dv.getInt32(16, true),
    inserted: dv.getInt32(20, true),
    alloc_error: dv.getInt32(24, true),
    lookups: dv.getUint32(28, true),
    snat: dv.getInt32(32, true),
    dnat: dv.getInt32(36, true),
  };
}

/**
 * One `conntrack -L` line as proto, tuple, mark, whether the entry saw a reply and, when NAT made
 * it other than the original's inverse, the reply tuple (conntrack prints it second).
 */
function kernelTable(ns: string): string[] {
  const out = run(inNetns(ns, ['conntrack', '-L'])).stdout;
  return out
    .split('\n')
    .filter((l) => /^(tcp|udp)/.test(l))
    .map((l) => {
      const f = (k: string, n = 0): string =>
        [...l.matchAll(new RegExp(`\\b${k}=(\\S+)`, 'g'))][n]?.[1] ?? '';
      const orig = `${f('src')}:${f('sport')} > ${f('dst')}:${f('dport')}`;
      const reply = `${f('src', 1)}:${f('sport', 1)} > ${f('dst', 1)}:${f('dport', 1)}`;
      const inverse = `${f('dst')}:${f('dport')} > ${f('src')}:${f('sport')}`;
      return `${l.split(/\s+/)[0]} ${orig} mark=${f('mark')}${/UNREPLIED/.test(l) ? ' unreplied' : ''}${reply === inverse ? '' : ` reply ${reply}`}`;
    })
    .sort();
}

void test(
  'conntrack kfuncs: lookup / alloc / insert / status / timeout / release equal the kernel over a conntrack table',
  { skip: probe({ tools: ['conntrack'] }) },
  async () => {
    await withLab('xlct-', (lab) => {
      const ns = lab.netns('a');
      for (const e of ENTRIES) {
        const st = (e.status as string[]).length ? ['--status', (e.status as string[]).join(',')] : [];
        run(
          inNetns(ns, [
            'conntrack',
            '-I',
            '-p',
            e.proto,
            '-s',
            e.src,
            '-d',
            e.dst,
            '--sport',
            String(e.sport),
            '--dport',
            String(e.dport),
            '--timeout',
            String(e.timeout),
            ...st,
            ...(e.proto === 'tcp' ? ['--state', 'ESTABLISHED'] : []),
            ...(e.mark ? ['--mark', String(e.mark)] : []),
          ]),
        );
      }
      const objFile = compileBpf(
        path.join(root, 'test/fixtures/programs/conntrack.bpf.c'),
        path.join(lab.tmp, 'conntrack.o'),
      );
      const kernel = loadAll(objFile, lab.pinDir('ct'));
      const prog = kernel.progs.xdp_ct!;
      const lastPin = kernel.maps.last!.pin;

      const vm = loadObject(new Uint8Array(fs.readFileSync(objFile)), {
        name: 'conntrack',
        system: new BpfSystem(),
        targetBtf: () => new Uint8Array(fs.readFileSync('/sys/kernel/btf/vmlinux')),
      });
      ENTRIES.forEach((e, i) => vm.system.conntrack.add(e, `ENTRIES[${i}]`));
      const vmProg = vm.program('xdp_ct')!;
      const lastVm = vm.map('last')!;

      for (const [label, frame] of FRAMES) {
        const inFile = path.join(lab.tmp, 'in.bin');
        const outFile = path.join(lab.tmp, 'out.bin');
        fs.writeFileSync(inFile, frame);
        fs.rmSync(outFile, { force: true });
        // In the namespace: the test run's device is its loopback, the table is its conntrack table.
        const r = run(
          inNetns(ns, ['bpftool', 'prog', 'run', 'pinned', prog.pin, 'data_in', inFile, 'data_out', outFile]),
        );
        const m = /Return value:\s*(-?\d+)/.exec(r.stdout + r.stderr);
        assert.ok(m, r.stdout + r.stderr);
        const k = { retval: Number(m[1]), dataOut: hex(new Uint8Array(fs.readFileSync(outFile))) };
        // Without the map's BTF bpftool prints the value as hex bytes.
        const kValue = (mapDump(lastPin)[0] as { value: Record<string, number> | string[] }).value;
        const kReport = Array.isArray(kValue)
          ? report(Uint8Array.from(kValue.map((x) => parseInt(x, 16))))
          : kValue;

        const v = vmProg.testRun(frame, { cpu: 0 });
        assert.equal(v.fault, undefined, `${label}: ${v.fault?.message}`);
        assert.deepEqual({ retval: v.retval, dataOut: hex(v.dataOut) }, k, label);
        const vmValue = lastVm.userLookup(new Uint8Array(4));
        assert.ok(vmValue instanceof Uint8Array, `${label}: the VM's report`);
        assert.deepEqual(report(vmValue), kReport, `${label}: report`);
        // The NATed entry is found by its altered reply tuple (bpf_ct_set_nat_info), in that direction.
        if (label.startsWith('udp from the DNAT'))
          assert.deepEqual([kReport.found, kReport.dir, kReport.error], [1, 1, 0], label);
      }

      // The entries the program inserted are in both tables, with the status it set.
      const vmTable = vm.system.conntrack
        .describe()
        .map(
          (e) =>
            `${e.proto} ${e.src}:${e.sport} > ${e.dst}:${e.dport} mark=${e.mark}${e.status & 2 ? '' : ' unreplied'}` +
            (e.reply ? ` reply ${e.reply.src}:${e.reply.sport} > ${e.reply.dst}:${e.reply.dport}` : ''),
        )
        .sort();
      assert.deepEqual(vmTable, kernelTable(ns));
      // The NAT tuple conntrack shows for the entry bpf_ct_set_nat_info set up.
      assert.ok(
        vmTable.includes(
          'udp 10.0.0.1:5001 > 10.0.0.2:10 mark=0 unreplied reply 10.0.0.99:10 > 192.0.2.9:4000',
        ),
        vmTable.join('\n'),
      );
      // bpf_ct_change_timeout(ct, 60000) on every entry found: 60 s left (the kernel counts down meanwhile).
      for (const e of vm.system.conntrack.describe().filter((x) => x.proto === 'tcp'))
        assert.equal(e.timeout, 60);
    });
  },
);

/** A TCP SYN over IPv4 whose header carries `opts` (doff covers them), padded to 100 bytes. */
function synWithOptions(opts: number[], doff?: number): Uint8Array {
  const base = buildFrame({
    ipv4: { src: '10.0.0.9', dst: '10.0.0.2' },
    tcp: { sport: 1234, dport: 80, flags: 'S' },
  });
  const f = new Uint8Array(100);
  f.set(base.subarray(0, 54));
  f.set(opts, 54);
  f[46] = ((doff ?? (20 + opts.length) / 4) << 4) | (f[46]! & 0x0f);
  new DataView(f.buffer).setUint16(16, 100 - 14); // IPv4 total length
  return f;
}

const COOKIE_FRAMES: [string, Uint8Array][] = [
  ['SYN, no MSS option (536)', buildFrame({ tcp: { sport: 1234, dport: 80, flags: 'S' } })],
  ['SYN, MSS 1400 (the table gives 1300)', synWithOptions([2, 4, 0x05, 0x78])],
  ['SYN, NOP NOP then MSS 9000 (1460)', synWithOptions([1, 1, 2, 4, 0x23, 0x28, 0, 0])],
  ['SYN, doff 4: th_len is not doff * 4 (-EINVAL)', synWithOptions([], 4)],
  ['ACK with no cookie (-EACCES)', buildFrame({ tcp: { sport: 1234, dport: 80, flags: 'A' } })],
  ['IPv6 SYN (1220)', buildFrame({ ipv6: {}, tcp: { sport: 1234, dport: 80, flags: 'S' } })],
  ['IPv6 ACK with no cookie', buildFrame({ ipv6: {}, tcp: { sport: 1234, dport: 80, flags: 'A' } })],
];

void test(
  'SYN-cookie helpers: the MSS a cookie encodes, refusals and checks equal the kernel (the secret differs)',
  { skip: probe() },
  async () => {
    await withLab('xlct-', (lab) => {
      const objFile = compileBpf(
        path.join(root, 'test/fixtures/programs/syncookie.bpf.c'),
        path.join(lab.tmp, 'syncookie.o'),
      );
      const kernel = loadAll(objFile, lab.pinDir('sc'));
      const vm = loadObject(new Uint8Array(fs.readFileSync(objFile)), { name: 'syncookie' });
      const prog = vm.program('xdp_syncookie')!;
      for (const [label, frame] of COOKIE_FRAMES) {
        const k = progRun(kernel.progs.xdp_syncookie!.pin, frame, lab.tmp);
        const kValue = (mapDump(kernel.maps.last!.pin)[0] as { value: unknown }).value;
        const v = prog.testRun(frame, { cpu: 0 });
        assert.equal(v.fault, undefined, `${label}: ${v.fault?.message}`);
        assert.equal(v.retval, k.retval, label);
        // The output frame is the input (the program writes nothing).
        assert.equal(hex(v.dataOut), hex(k.dataOut), label);
        const b = vm.map('last')!.userLookup(new Uint8Array(4));
        assert.ok(b instanceof Uint8Array);
        const dv = new DataView(b.buffer, b.byteOffset);
        const mine = {
          gen: Number(dv.getBigInt64(0, true)),
          mss: dv.getUint32(8, true),
          check: dv.getInt32(12, true),
          runs: dv.getUint32(16, true),
        };
        const theirs = Array.isArray(kValue)
          ? (() => {
              const kb = Uint8Array.from((kValue as string[]).map((x) => parseInt(x, 16)));
              const kd = new DataView(kb.buffer);
              return {
                gen: Number(kd.getBigInt64(0, true)),
                mss: kd.getUint32(8, true),
                check: kd.getInt32(12, true),
                runs: kd.getUint32(16, true),
              };
            })()
          : kValue;
        assert.deepEqual(mine, theirs, `${label}: report`);
      }
    });
  },
);
