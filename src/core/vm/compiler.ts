// Compiles an eBPF instruction stream into one JavaScript function so V8 JITs it: registers are
// pairs of int32 locals (hi, lo), control flow is a `switch (pc)` over basic-block labels inside a
// loop, memory accesses are inline bounds checks against the region table with a slow path for
// the context rewrite and faults (see memory.ts). BigInt appears only in 64-bit div/mod. This file
// holds the program's assembly and its calls and jumps; jsAlu.ts the ALU and conditions, jsAccess.ts
// loads/stores/atomics, vmLib.ts the run-time helpers of the generated code.
import * as I from './isa';
import type { Insn } from './isa';
import { ADDR_BASE, STACK_SIZE } from './memory';
import type { LookupTable } from './memory';
import { BlockFacts } from './blockFacts';
import { REGION_PACKET } from './machine';
import type { DirectHelperFn, DirectKfuncFn, HelperFn, KfuncFn } from './machine';
import { LoadError } from './vmFault';
import { analyzeInit, defsUses, MAIN_ENTRY, SUB_ENTRY } from './initAnalysis';
import { findLabels } from './blockLabels';
import { compileWasmTier } from './wasm/wasmTier';
import { wasmAvailable } from './wasm/wasmEnv';
import { alu32, alu64, cond32, cond64, lit } from './jsAlu';
import { emitMemoryAccess, PACKET_LOCALS, PACKET_REFRESH } from './jsAccess';
import { vmLib } from './vmLib';

/**
 * Which compiler runs a program: 'js' (this file), 'wasm' (wasm/wasmCompiler.ts: a WebAssembly
 * module), 'auto' (wasm where the engine has WebAssembly, else js; a program the wasm tier does
 * not take — kfunc calls, a LoadError of its own — runs on js). Traced runs always use js.
 */
export type VmTier = 'js' | 'wasm' | 'auto';

/** Options for one compilation. */
export interface CompileOptions {
  /** The compilation tier (default 'js'). */
  tier?: VmTier;
  /** Emit a per-instruction `S.trace(pc, r0h, r0l, …, r10h, r10l)` call (stepper; slow path). */
  trace?: boolean;
  /** Helper ids that may redirect control (tail calls): after them the function returns if S.tail is set. */
  tailCallHelper?: number;
  /**
   * Fault on reads of registers no instruction wrote (the verifier's "!read_ok"). Default true;
   * raw `exec` turns it off: conformance programs may rely on registers starting at zero.
   */
  uninitFaults?: boolean;
  /**
   * The implementation of helper `id` (helperTable.ts helperImpl): the JS tier calls it directly;
   * without one (or undefined) a call goes through Machine.call and the machine's table.
   */
  helperImpl?: (id: number) => HelperFn | undefined;
  /**
   * The register-argument form of helper `id` (helperTable.ts helperDirect, ≤ 3 arguments): both
   * tiers call it with r1–r3 as (hi, lo) pairs; traced runs use helperImpl. It runs no callbacks
   * (the instruction count is handed to it, not read back).
   */
  helperDirect?: (id: number) => DirectHelperFn | undefined;
  /**
   * The implementation of kfunc `id` (kfuncs.ts kfuncImpl): both the traced and untraced JS code
   * call it directly (`K<id>`, one call site per kfunc, which V8 can inline, as the kernel's call
   * goes straight to the kfunc's address); without one a call goes through Machine.kfunc.
   */
  kfuncImpl?: (id: number) => KfuncFn | undefined;
  /** Number of arguments of kfunc `id` (kfuncs.ts vmKfuncArgs): only r1..rN go into S.A. Default 5. */
  kfuncArgs?: (id: number) => number;
  /**
   * The register-argument form of kfunc `id` (kfuncs.ts kfuncDirect): called as `KD<id>(S, pc,
   * r1h, r1l, …)` with the kfuncArgs pairs, nothing stored into S.A; preferred over kfuncImpl.
   */
  kfuncDirect?: (id: number) => DirectKfuncFn | undefined;
  /**
   * Kfunc `id` returns an acquired kernel object or NULL (kfuncs.ts kfuncReturnsObject): its r0 is
   * never the context or the packet (blockFacts.ts `obj`).
   */
  kfuncReturnsObject?: (id: number) => boolean;
  /** Number of arguments of helper `id` (the uninitialised-read check reads r1..rN). Default 5. */
  helperArgs?: (id: number) => number;
  /** Validates a helper id at load time; returns an error message for unknown ids. */
  checkHelper?: (id: number, pc: number) => string | undefined;
  /**
   * The lookup table of the map whose pointer has region id `region` (BpfSystem.createMap: an
   * array whose value regions live as long as the map), when it has one: a bpf_map_lookup_elem of
   * that map with a key on the stack is inlined as array_map_gen_lookup inlines it.
   */
  lookupTable?: (region: number) => LookupTable | undefined;
  /** Resolves a `ld_imm64` with a pseudo src_reg (map, map value, func) to (hi, lo) at load time. */
  resolveLdImm64?: (pc: number, insn: Insn, next: Insn) => { hi: number; lo: number };
}

/**
 * The compiled form: call with the run state, an entry pc (0, or a callback/subprogram label) and
 * r1–r5 as (hi, lo) pairs. Returns r0's low word; r0's high word is left in `S.rh`.
 */
export type CompiledProgram = (
  S: unknown,
  pc: number,
  a1h: number,
  a1l: number,
  a2h: number,
  a2l: number,
  a3h: number,
  a3l: number,
  a4h: number,
  a4l: number,
  a5h: number,
  a5l: number,
) => number;

/** bpf_map_lookup_elem's helper id (include/uapi/linux/bpf.h). */
const BPF_FUNC_MAP_LOOKUP_ELEM = 1;

/** Generates the JavaScript source of the program's function body. */
export function generate(insns: readonly Insn[], opts: CompileOptions = {}): string {
  const labels = findLabels(insns);
  const n = insns.length;
  const out: string[] = [];
  const H = (r: number): string => `r${r}h`;
  const L = (r: number): string => `r${r}l`;
  const regs = Array.from({ length: 11 }, (_, r) => `${H(r)},${L(r)}`).join(',');
  out.push(
    `const R = S.R, A = S.A, B = S.budget, d0 = S.depth, P = R[${REGION_PACKET}], X = S.ctxImage; let m, a, t, n = S.n; let m0, m1, m2, m3, m4, m5, m6, m7, m8, m9;`,
    `let r0h = 0, r0l = 0, r1h = a1h, r1l = a1l, r2h = a2h, r2l = a2l, r3h = a3h, r3l = a3l, r4h = a4h, r4l = a4l, r5h = a5h, r5l = a5l;`,
    `let r6h = 0, r6l = 0, r7h = 0, r7l = 0, r8h = 0, r8l = 0, r9h = 0, r9l = 0, r10h = S.stack0 + d0, r10l = ${ADDR_BASE + 512};`,
    // F: the current frame's DataView, for accesses through r10 at a constant offset (jsAccess.ts).
    // Taken again whenever r10 moves (bpf-to-bpf calls and returns) and after every call out: a
    // helper may grow an unshared linear memory (wasmEnv.ts remap), which re-points the frames.
    `let F = R[r10h].dv;`,
    // The packet region's window and view in locals (jsAccess.ts): read again after every call out
    // and every slow-path write, the only code that moves the window or unlocks the packet.
    `let ${PACKET_LOCALS};`,
  );
  // Registers some path may read before writing them get a run-time "written" flag (initAnalysis.ts).
  const helperArgs = opts.helperArgs ?? ((): number => 5);
  const init =
    opts.uninitFaults === false
      ? { flagged: new Map<number, number[]>(), tracked: [] }
      : analyzeInit(insns, helperArgs);
  const tracked = init.tracked;
  const u = (r: number): string => `u${r}`;
  const isTracked = (r: number): boolean => tracked.includes(r);
  for (const r of tracked)
    out.push(`let ${u(r)} = pc === 0 ? ${(MAIN_ENTRY >> r) & 1} : ${(SUB_ENTRY >> r) & 1};`);
  const setFlags = (regs: number[], v: 0 | 1): string =>
    regs
      .filter(isTracked)
      .map((r) => `${u(r)} = ${v};`)
      .join(' ');
  const pushFlags = tracked.map(u).join(', ');
  const popFlags = [...tracked]
    .reverse()
    .map((r) => `${u(r)} = c.pop();`)
    .join(' ');
  /** Returns from a bpf-to-bpf call: restores the caller's r6–r10 (and flags) and jumps back. */
  // r0 goes back as the callee left it, written or not (prepare_func_exit copies the callee's r0).
  const keepR0 = isTracked(0) ? ['const w0 = u0;', 'u0 = w0;'] : ['', ''];
  const returnToCaller = `{ const c = S.cs; S.depth--; pc = c.pop(); ${keepR0[0]} ${popFlags} ${keepR0[1]} ${setFlags([1, 2, 3, 4, 5], 0)} r10l = c.pop(); r10h = c.pop(); F = R[r10h].dv; r9l = c.pop(); r9h = c.pop(); r8l = c.pop(); r8h = c.pop(); r7l = c.pop(); r7h = c.pop(); r6l = c.pop(); r6h = c.pop(); continue; }`;
  out.push(`for (;;) { switch (pc) {`);
  // Block-local register facts (blockFacts.ts): which map r1 points to at a lookup, where its key is.
  const facts = new BlockFacts();
  // Registers whose region (R[rNh]) an earlier access of this block left in the local mN on a path
  // every run of the block takes (jsAccess.ts): later accesses through them skip the table.
  const regionCache = new Set<number>();
  let prev: Insn | undefined;
  let prevMap: number | undefined;
  let prevObj = false;
  let k = 0; // instructions executed since the last flush of `k` into `n` (exact counting)
  const flush = (): string => {
    const s = k > 0 ? `n += ${k};` : '';
    return s;
  };
  for (let pc = 0; pc < n; pc++) {
    const i = insns[pc] as Insn;
    if (labels.has(pc)) {
      if (k > 0) out.push(`n += ${k};`);
      k = 0;
      out.push(`case ${pc}:`);
      facts.reset();
      regionCache.clear();
    } else if (prev !== undefined) {
      facts.observe(prev, prevMap, prevObj);
      // A call may drop, replace or re-point any region (a released nf_conn, a grown memory); a
      // register written since its access holds another pointer.
      if (I.opClass(prev.op) === I.BPF_JMP && (prev.op & 0xf0) === I.JMP_CALL) regionCache.clear();
      else for (const r of defsUses(prev, helperArgs).defs) regionCache.delete(r);
    }
    prev = i;
    prevMap = undefined;
    prevObj = false;
    k++;
    if (opts.trace) out.push(`S.trace(${pc}, ${regs}); ${PACKET_REFRESH}`);
    for (const r of init.flagged.get(pc) ?? [])
      out.push(
        `if (${u(r)} === 0) S.fault(${pc}, 'read of uninitialised register r${r} (the verifier rejects the program: "R${r} !read_ok")');`,
      );
    const defined =
      I.isLdImm64(i) || I.opClass(i.op) !== I.BPF_JMP ? setFlags(defsUses(i, helperArgs).defs, 1) : '';
    const cls = I.opClass(i.op);
    const d = i.dst;
    const s = i.src;
    const bad = (why: string): never => {
      throw new LoadError(`pc ${pc}: ${why} (opcode 0x${i.op.toString(16).padStart(2, '0')})`);
    };
    if (d > 10 || s > 10) bad(`invalid register r${d > 10 ? d : s}`);
    const DH = H(d);
    const DL = L(d);
    if (cls === I.BPF_ALU || cls === I.BPF_ALU64) {
      if (d === 10) bad('r10 is read-only');
      const x = (i.op & I.BPF_X) !== 0;
      const code = i.op & 0xf0;
      const SH = x ? H(s) : lit(i.imm < 0 ? -1 : 0);
      const SL = x ? L(s) : lit(i.imm);
      const SU = x ? `(${L(s)} >>> 0)` : String(i.imm >>> 0);
      if (!x && s !== 0 && code !== I.ALU_END) bad('reserved src_reg must be 0');
      out.push(
        (cls === I.BPF_ALU64
          ? alu64(code, i, DH, DL, SH, SL, x, bad)
          : alu32(code, i, DH, DL, SL, SU, x, bad)) + defined,
      );
      continue;
    }
    if (cls === I.BPF_JMP || cls === I.BPF_JMP32) {
      const code = i.op & 0xf0;
      const x = (i.op & I.BPF_X) !== 0;
      if (code === I.JMP_EXIT) {
        if (i.op !== (I.BPF_JMP | I.JMP_EXIT)) bad('invalid exit');
        out.push(
          `${flush()} if (S.depth === d0) { S.n = n; S.rh = r0h; return r0l; }`,
          // A separate variable for the call stack: \`t\` must stay a number, or V8 boxes every 64-bit sum.
          returnToCaller,
        );
        k = 0;
        continue;
      }
      if (code === I.JMP_CALL) {
        if (cls !== I.BPF_JMP || x) bad('invalid call');
        if (s === I.PSEUDO_CALL) {
          const t = pc + i.imm + 1;
          out.push(
            `${flush()} if (n > B) S.outOfBudget(${pc}, n); if (S.depth - d0 >= 7 || S.depth >= 8) S.fault(${pc}, 'call depth exceeds 8 frames');`,
            `S.cs.push(r6h, r6l, r7h, r7l, r8h, r8l, r9h, r9l, r10h, r10l, ${pushFlags ? pushFlags + ', ' : ''}${pc + 1}); ${setFlags([0, 6, 7, 8, 9], 0)} ${setFlags([1, 2, 3, 4, 5], 1)} S.depth++; r10h = S.stack0 + S.depth; r10l = ${ADDR_BASE + 512}; F = R[r10h].dv; pc = ${t}; continue;`,
          );
          k = 0;
          continue;
        }
        if (s === I.PSEUDO_KFUNC_CALL) {
          // A kfunc the VM runs (vm/kfuncs.ts: imm = its id, like the kernel's BTF id), called as a
          // helper is; imm 0 is a kfunc only the verifier's load keeps: it faults if run.
          const argc = opts.kfuncArgs?.(i.imm) ?? 5;
          prevObj = opts.kfuncReturnsObject?.(i.imm) === true;
          const invoke =
            opts.kfuncDirect?.(i.imm) !== undefined
              ? `S.n = n; r0l = KD${i.imm}(S, ${pc}${argRegs(argc)});`
              : `${argsToA(argc)} S.n = n; r0l = ${opts.kfuncImpl?.(i.imm) !== undefined ? `K${i.imm}(S, ${pc})` : `S.kfunc(${pc}, ${i.imm})`};`;
          out.push(
            i.imm === 0
              ? `${flush()} S.fault(${pc}, 'kfunc calls are not supported by the XDP Lab VM');`
              : `${flush()} ${invoke} r0h = S.rh; n = S.n; F = R[r10h].dv; ${PACKET_REFRESH} ${setFlags([0], 1)} ${setFlags([1, 2, 3, 4, 5], 0)}`,
          );
          k = 0;
          continue;
        }
        if (s !== 0) bad(`invalid call src_reg ${s}`);
        const why = opts.checkHelper?.(i.imm, pc);
        if (why) throw new LoadError(why);
        // bpf_map_lookup_elem's r0: a map value or NULL, whichever way it is called.
        prevObj = i.imm === BPF_FUNC_MAP_LOOKUP_ELEM;
        const inline = i.imm === BPF_FUNC_MAP_LOOKUP_ELEM && !opts.trace ? inlineLookup(facts, opts) : '';
        if (inline) {
          // array_map_gen_lookup: index < max_entries, then the value's region from the map's table;
          // an index whose region is not made yet (or a key past the frame) takes the machine's entry.
          out.push(
            `${flush()} ${inline.replaceAll('$PC', String(pc))} ${setFlags([0], 1)} ${setFlags([1, 2, 3, 4, 5], 0)}`,
          );
          k = 0;
          continue;
        }
        if (i.imm === BPF_FUNC_MAP_LOOKUP_ELEM && !opts.trace) {
          // The kernel inlines map lookups (array_map_gen_lookup, htab_map_gen_lookup): here the
          // machine's direct entry, without the helper table, the argument array or the helper's
          // argument re-reads (Machine.lookupElem falls back to the helper for anything unusual).
          out.push(
            `${flush()} r0l = S.lookupElem(${pc}, r1h, r1l, r2h, r2l); r0h = S.rh; F = R[r10h].dv; ${PACKET_REFRESH} ${setFlags([0], 1)} ${setFlags([1, 2, 3, 4, 5], 0)}`,
          );
          k = 0;
          continue;
        }
        if (!opts.trace && opts.helperDirect?.(i.imm) !== undefined && opts.tailCallHelper !== i.imm) {
          // r1–r3 straight in (`D<id>`, bound by compile()): no trip through the argument array.
          out.push(
            `${flush()} S.n = n; r0l = D${i.imm}(S, ${pc}, r1h, r1l, r2h, r2l, r3h, r3l); r0h = S.rh; F = R[r10h].dv; ${PACKET_REFRESH} ${setFlags([0], 1)} ${setFlags([1, 2, 3, 4, 5], 0)}`,
          );
          k = 0;
          continue;
        }
        // A helper the options name is called directly (`H<id>`, bound by compile()).
        const direct = opts.helperImpl?.(i.imm) !== undefined;
        out.push(
          `${flush()} A[0] = r1h; A[1] = r1l; A[2] = r2h; A[3] = r2l; A[4] = r3h; A[5] = r3l; A[6] = r4h; A[7] = r4l; A[8] = r5h; A[9] = r5l;`,
          `S.n = n; r0l = ${direct ? `H${i.imm}(S, ${pc})` : `S.call(${pc}, ${i.imm})`}; r0h = S.rh; n = S.n; F = R[r10h].dv; ${PACKET_REFRESH} ${setFlags([0], 1)} ${setFlags([1, 2, 3, 4, 5], 0)}`,
        );
        k = 0;
        // A taken tail call never returns. From the main program the run loop starts the target;
        // from a sub-program the target replaces the sub-program's frame and its r0 goes back to
        // the sub-program's caller (the kernel's tail calls in sub-programs, 5.10+).
        if (opts.tailCallHelper === i.imm)
          out.push(
            `if (S.tail !== null) { if (S.depth === d0) { S.rh = r0h; return r0l; } r0l = S.tailInSubprogram(); r0h = S.rh; n = S.n; ${PACKET_REFRESH} ${returnToCaller} }`,
          );
        continue;
      }
      const t = cls === I.BPF_JMP32 && code === I.JMP_JA ? pc + i.imm + 1 : pc + i.off + 1;
      const back = t <= pc ? ` if (n > B) S.outOfBudget(${pc}, n);` : '';
      const go = `{ n += ${k};${back} pc = ${t}; continue; }`;
      if (code === I.JMP_JA) {
        if (x || s !== 0) bad('invalid ja');
        out.push(go);
        k = 0;
        // A label follows (or the end): nothing falls through.
        continue;
      }
      const cond =
        cls === I.BPF_JMP
          ? cond64(code, DH, DL, x ? H(s) : lit(i.imm < 0 ? -1 : 0), x ? L(s) : lit(i.imm), bad)
          : cond32(code, DL, x ? L(s) : lit(i.imm), x ? `(${L(s)} >>> 0)` : String(i.imm >>> 0), bad);
      out.push(`if (${cond}) ${go}`);
      continue;
    }
    if (cls === I.BPF_LD) {
      if (!I.isLdImm64(i)) bad('legacy packet access (BPF_ABS/BPF_IND) is not supported');
      const next = insns[pc + 1] as Insn;
      if (next.op !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0)
        bad('malformed second slot of ld_imm64');
      if (d === 10) bad('r10 is read-only');
      if (i.src === 0) out.push(`${DL} = ${lit(i.imm)}; ${DH} = ${lit(next.imm)}; ${defined}`);
      else {
        if (!opts.resolveLdImm64) bad(`ld_imm64 with src_reg ${i.src} needs a loaded object (maps)`);
        const v = opts.resolveLdImm64!(pc, i, next);
        if ((i.src === I.PSEUDO_MAP_FD || i.src === I.PSEUDO_MAP_IDX) && (v.lo | 0) === ADDR_BASE)
          prevMap = v.hi;
        out.push(`${DL} = ${lit(v.lo | 0)}; ${DH} = ${lit(v.hi | 0)}; ${defined}`);
      }
      pc++;
      continue;
    }
    // Loads, stores and atomics (jsAccess.ts).
    const base = cls === I.BPF_LDX ? s : d;
    const obj = facts.get(base)?.kind === 'obj';
    out.push(emitMemoryAccess(i, pc, defined, bad, obj, regionCache.has(base)));
    // The accesses that always look the region up (no context or packet test before it): through
    // an `obj` register, and plain atomic adds. r10 at a constant offset goes through F instead.
    const atomicAdd = cls === I.BPF_STX && (i.op & 0xe0) === I.BPF_ATOMIC && i.imm === 0;
    // Not in traced runs: the stepper's callback runs between any two instructions.
    if (base !== 10 && (obj || atomicAdd) && !opts.trace) regionCache.add(base);
  }
  if (k > 0) out.push(`n += ${k};`);
  out.push(`S.n = n; S.fault(${n}, 'the program ran past its last instruction');`);
  out.push(`default: S.fault(pc, 'no instruction starts at pc ' + pc); } }`);
  const body = out.join('\n');
  // A program with no packet access (XDP_PASS) does not pay for the packet locals on every entry.
  if (body.includes('< Plo')) return body;
  return body.replace(`let ${PACKET_LOCALS};`, '').replaceAll(PACKET_REFRESH, '');
}

/** `, r1h, r1l, …` for r1..rN: the arguments of a register-argument call. */
function argRegs(count: number): string {
  let s = '';
  for (let r = 1; r <= Math.max(0, Math.min(5, count)); r++) s += `, r${r}h, r${r}l`;
  return s;
}

/** Stores r1..rN (hi, lo) into the argument array S.A (as A) for a call that reads them from there. */
function argsToA(count: number): string {
  const n = Math.max(0, Math.min(5, count));
  let s = '';
  for (let r = 1; r <= n; r++) s += `A[${2 * r - 2}] = r${r}h; A[${2 * r - 1}] = r${r}l; `;
  return s;
}

/**
 * The inline form of a bpf_map_lookup_elem call (pc as `$PC`) when r1 is a map with a lookup table
 * and r2 a 4-byte key inside the current frame, else ''. The table is read from the map's region at
 * run time (R[region].lookupTable): the generated source names nothing of one system but its
 * constants, so SimEntry may share it between systems that loaded the same program.
 */
function inlineLookup(facts: BlockFacts, opts: CompileOptions): string {
  const m = facts.get(1);
  const key = facts.get(2);
  if (m?.kind !== 'map' || key?.kind !== 'fp' || key.off < -STACK_SIZE || key.off + 4 > 0) return '';
  if (opts.lookupTable?.(m.region) === undefined) return '';
  const slow = `r0l = S.lookupElem($PC, ${m.region}, ${ADDR_BASE}, r10h, ${ADDR_BASE + STACK_SIZE + key.off}); r0h = S.rh; F = R[r10h].dv; ${PACKET_REFRESH}`;
  return `{ const lt = R[${m.region}].lookupTable; t = F.getUint32(${STACK_SIZE + key.off}, true); if (lt !== undefined && t < lt.max && (r0h = lt.ids[t + S.cpu * lt.stride]) !== 0) r0l = ${ADDR_BASE}; else { ${slow} } }`;
}

/** Compiles `insns` into a callable function (throws LoadError for anything that cannot run). */
export function compile(insns: readonly Insn[], opts: CompileOptions = {}): CompiledProgram {
  if (insns.length === 0) throw new LoadError('the program has no instructions');
  const body = generate(insns, opts); // also validates every instruction for the wasm tier
  // Programs calling kfuncs run on js (the wasm tier has no kfunc imports).
  const kfuncs = insns.some((i) => i.op === (I.BPF_JMP | I.JMP_CALL) && i.src === I.PSEUDO_KFUNC_CALL);
  if ((opts.tier === 'wasm' || (opts.tier === 'auto' && wasmAvailable())) && !opts.trace && !kfuncs) {
    try {
      return compileWasmTier(insns, opts);
    } catch (e) {
      if (opts.tier === 'wasm' || !(e instanceof LoadError)) throw e; // 'auto' falls back to js
    }
  }
  // `new Function` keeps the engine pure (no eval of user text: the body is generated from decoded
  // fields only) and works in Node and in a browser worker alike.
  // The parenthesised function is compiled eagerly by V8 (its PIFE heuristic): parsing a big
  // program (katran: 60 ms) happens at load, not inside the first run.
  // Helpers called directly: one constant per id, so each call site is monomorphic.
  const ids = [...new Set([...body.matchAll(/\bH(\d+)\(S, /g)].map((m) => Number(m[1])))];
  const directIds = [...new Set([...body.matchAll(/\bD(\d+)\(S, /g)].map((m) => Number(m[1])))];
  const kfuncIds = [...new Set([...body.matchAll(/\bK(\d+)\(S, /g)].map((m) => Number(m[1])))];
  const kfuncDirectIds = [...new Set([...body.matchAll(/\bKD(\d+)\(S, /g)].map((m) => Number(m[1])))];
  const helpers = [
    ...ids.map((id) => `const H${id} = HT[${id}];`),
    ...directIds.map((id) => `const D${id} = DT[${id}];`),
    ...kfuncIds.map((id) => `const K${id} = KT[${id}];`),
    ...kfuncDirectIds.map((id) => `const KD${id} = KDT[${id}];`),
  ].join(' ');
  const table: (HelperFn | undefined)[] = [];
  for (const id of ids) table[id] = opts.helperImpl?.(id);
  const directs: (DirectHelperFn | undefined)[] = [];
  for (const id of directIds) directs[id] = opts.helperDirect?.(id);
  const kfuncFns: (KfuncFn | undefined)[] = [];
  for (const id of kfuncIds) kfuncFns[id] = opts.kfuncImpl?.(id);
  const kfuncDirects: (DirectKfuncFn | undefined)[] = [];
  for (const id of kfuncDirectIds) kfuncDirects[id] = opts.kfuncDirect?.(id);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function(
    'L',
    'HT',
    'DT',
    'KT',
    'KDT',
    `"use strict"; ${helpers} return (function bpfProgram(S, pc, a1h, a1l, a2h, a2l, a3h, a3l, a4h, a4l, a5h, a5l) {\n${body}\n});`,
  ) as (
    lib: typeof vmLib,
    helpers: (HelperFn | undefined)[],
    directs: (DirectHelperFn | undefined)[],
    kfuncs: (KfuncFn | undefined)[],
    kfuncDirects: (DirectKfuncFn | undefined)[],
  ) => CompiledProgram;
  return factory(vmLib, table, directs, kfuncFns, kfuncDirects);
}
