// Constructs from public XDP programs (issue 13's sweep of katran, xdp-tools, xdp-tutorial,
// bpf-examples, Suricata, …), each reproduced by an own fixture: clang builds it, the kernel
// (`bpftool prog run`) and the VM run it on the same frames, and retval, data_out and every map the
// program uses must be equal after each frame.
// Reproducers of breaks outside the VM/analyzer are `todo` until their area fixes them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject } from '../../src/core/elf/loadObject';
import { buildFrame } from '../../src/core/packet/frameBuilder';
import * as A from '../../src/core/vm/asm';
import { BpfSystem } from '../../src/core/vm/bpfSystem';
import { encodeInsns } from '../../src/core/vm/isa';
import type { Insn } from '../../src/core/vm/isa';
import { compile } from '../../src/core/vm/compiler';
import { VmFault } from '../../src/core/vm/vmFault';
import { helperArgs } from '../../src/core/helpers/helperTable';
import { acquireKernelLock } from './lib/lock';
import { compileBpf } from './lib/compile';
import { withLab } from './lib/lab';
import { compareMapsAfterRuns, legacyLoad } from './lib/mapRuns';
import { probe } from './lib/probe';

const root = path.resolve(__dirname, '../..');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const FRAMES: [string, Uint8Array][] = [
  ['ipv4 udp', buildFrame({ udp: { sport: 4000, dport: 53 } })],
  ['ipv4 tcp', buildFrame({ tcp: { sport: 40000, dport: 80 } })],
  ['ipv4 ttl 1', buildFrame({ ipv4: { ttl: 1 }, udp: { sport: 1, dport: 7 } })],
  ['ipv6 udp', buildFrame({ ipv6: {}, udp: { sport: 1, dport: 7 } })],
  ['arp', buildFrame({ arp: {} })],
  ['runt 14', buildFrame({ udp: { sport: 1, dport: 9 } }).slice(0, 14)],
];

interface Fixture {
  /** Relative to the repository root. */
  file: string;
  /** What construct it reproduces (printed in the test name). */
  what: string;
  /** Set while the break lives in another area (the test runs but does not fail the tier). */
  todo?: string;
  /** Set when running it today would hurt the machine (not only fail). */
  skip?: string;
  /**
   * The kernel loads the -DXDPLAB_BTF_TWIN build: what the object's own loader hands the kernel when
   * libbpf cannot open the object (a `maps` section, Cilium's constants), while the VM loads the plain one.
   */
  twin?: boolean;
  /**
   * The kernel loads the VM's own object as samples/bpf's bpf_load.c did (legacyLoad.py: maps from
   * `struct bpf_map_def`, relocations to their fds, raw BPF_PROG_LOAD), not a twin.
   */
  legacy?: boolean;
  /** Rewrites the VM's copy of the object (what clang cannot emit any more, e.g. old LLVM's e_machine 0). */
  patch?: (bytes: Uint8Array) => void;
}

const FIXTURES: Fixture[] = [
  {
    file: 'test/fixtures/programs/realworld/noinline_ttl.bpf.c',
    what: 'noinline function called for its side effect (no r0 at its exit)',
  },
  {
    file: 'test/fixtures/analysis/ok/meta_checked_against_data.bpf.c',
    what: 'data_meta checked against data',
  },
  { file: 'test/fixtures/analysis/ok/ctx_bounds_helper.bpf.c', what: 'bounds check in a ctx helper' },
  { file: 'test/fixtures/analysis/ok/masked_offsets.bpf.c', what: 'masked variable offsets' },
  { file: 'test/fixtures/analysis/ok/parse_cursor.bpf.c', what: 'parsing_helpers-style cursor' },
  { file: 'test/fixtures/analysis/ok/disabled_branch.bpf.c', what: 'map in a disabled #if branch' },
  {
    file: 'test/fixtures/programs/realworld/core_type_id.bpf.c',
    what: 'CO-RE bpf_core_type_id_local',
  },
  {
    file: 'test/fixtures/programs/realworld/perf_array_unsized.bpf.c',
    what: 'PERF_EVENT_ARRAY without max_entries',
  },
  {
    file: 'test/fixtures/programs/realworld/kfunc_ct_lookup.bpf.c',
    what: 'kfunc calls (conntrack lookup)',
  },
  {
    file: 'test/fixtures/programs/realworld/huge_array.bpf.c',
    what: 'katran-sized ARRAY (33,554,944 entries)',
  },
  {
    file: 'test/fixtures/programs/realworld/cil_config_tail.bpf.c',
    what: "Cilium's .rodata.config constants, CILIUM_PIN_REPLACE and ID/KEY tail-call sections",
    twin: true,
  },
  {
    file: 'test/fixtures/programs/realworld/cil_fib_disabled.bpf.c',
    what: 'bpf_fib_lookup on a host that does not forward (the VM without a route table)',
  },
  {
    file: 'test/fixtures/programs/realworld/oldclang_notype.bpf.c',
    what: "pre-10 clang's object: NOTYPE entry symbol, e_machine EM_NONE, section xdp1, bpf_map_def",
    twin: true,
    patch: (b) => b.fill(0, 18, 20),
  },
  {
    file: 'test/fixtures/programs/realworld/oldclang_notype.bpf.c',
    what: "pre-10 clang's object as is, the kernel side loaded as bpf_load.c did",
    legacy: true,
    patch: (b) => b.fill(0, 18, 20),
  },
  {
    file: 'test/fixtures/programs/realworld/cil_btf_config.bpf.c',
    what: 'Cilium ≥ 1.16: BTF calls map with CILIUM_PIN_REPLACE, a 16-byte .rodata.config variable',
    twin: true,
  },
];

for (const fx of FIXTURES) {
  void test(
    `real-world construct, VM equals kernel: ${fx.what} (${path.basename(fx.file)})`,
    { skip: fx.skip ?? probe(fx.legacy ? { tools: ['python3'] } : {}), todo: fx.todo },
    async () => {
      await withLab('xlrw-', (lab) => {
        const base = path.basename(fx.file).replace(/\.bpf\.c$/, '');
        let objFile = compileBpf(path.join(root, fx.file), path.join(lab.tmp, `${base}.o`));
        const kernelObj = fx.twin
          ? compileBpf(path.join(root, fx.file), path.join(lab.tmp, `${base}.twin.o`), {
              extraArgs: ['-DXDPLAB_BTF_TWIN'],
            })
          : objFile;
        if (fx.patch) {
          const bytes = new Uint8Array(fs.readFileSync(objFile));
          fx.patch(bytes);
          objFile = path.join(lab.tmp, `${base}.patched.o`);
          fs.writeFileSync(objFile, bytes);
        }
        const names = loadObject(new Uint8Array(fs.readFileSync(objFile)), { name: base }).programs.map(
          (p) => p.name,
        );
        assert.ok(names.length >= 1, 'the VM has a program');
        // Every program on a fresh load of both sides: retval, data_out and every map it uses after
        // each frame (lib/mapRuns.ts).
        names.forEach((name, i) => {
          const report = compareMapsAfterRuns(lab, `${base.replace(/\W/g, '')}${i}`, {
            obj: objFile,
            kernelObj: fx.legacy ? objFile : kernelObj,
            prog: name,
            frames: FRAMES,
            ...(fx.legacy ? { load: legacyLoad } : {}),
          });
          assert.deepEqual(report.diffs, [], name);
        });
      });
    },
  );
}

// The rule behind noinline_ttl at the instruction level, against the verifier itself (raw socket
// filters through rawTestRun.py): a static sub-program's exit does not need r0, the caller's read
// of the r0 it left does ("R0 !read_ok"), and the VM accepts and refuses the same programs.
const R0_CASES: [string, Insn[]][] = [
  // r6 = 7; call sub; r0 = r6; exit.  sub: r2 = 1; exit
  ['caller ignores r0', [A.mov64(6, 7), A.callLocal(2), A.movReg(0, 6), A.exit(), A.mov64(2, 1), A.exit()]],
  // call sub; exit (returns the callee's unwritten r0).  sub: r2 = 1; exit
  ['caller returns the unwritten r0', [A.callLocal(1), A.exit(), A.mov64(2, 1), A.exit()]],
  // r0 = 1; call sub; exit — the caller's own r0 does not survive the call
  ['r0 written before the call', [A.mov64(0, 1), A.callLocal(1), A.exit(), A.exit()]],
  // call sub; exit.  sub: r0 = 9; exit
  ['callee writes r0', [A.callLocal(1), A.exit(), A.mov64(0, 9), A.exit()]],
];

void test(
  'r0 at a sub-program exit: the VM accepts and refuses what the verifier does',
  { skip: probe({ tools: ['python3'] }) },
  async () => {
    const runner = path.join(root, 'test/fixtures/programs/rawTestRun.py');
    const lock = await acquireKernelLock();
    let answers: { retval?: number; error?: string; log?: string }[];
    try {
      const r = spawnSync('python3', [runner], {
        input: R0_CASES.map(([, p]) => hex(encodeInsns(p))).join('\n') + '\n',
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      answers = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { retval?: number; error?: string; log?: string });
    } finally {
      await lock.release();
    }
    R0_CASES.forEach(([name, prog], i) => {
      const k = answers[i]!;
      // The verifier's EACCES here is "R0 !read_ok" (rawTestRun.py reports only the log's last line).
      const kernel = k.retval !== undefined ? `retval ${k.retval}` : `refused (${k.error})`;
      const M = new BpfSystem().machine;
      const fn = compile(prog, { helperArgs });
      M.current = { name, compiled: () => fn, lineOf: () => undefined };
      let vm: string;
      try {
        vm = `retval ${fn(M, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) >>> 0}`;
      } catch (e) {
        if (!(e instanceof VmFault) || !/uninitialised register r0/.test(e.message)) throw e;
        vm = 'refused (Permission denied)';
      }
      assert.equal(vm, kernel, name);
    });
  },
);
