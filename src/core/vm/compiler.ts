// Compiles an eBPF instruction stream into one JavaScript function so V8 JITs it: registers are
// pairs of int32 locals (hi, lo), control flow is a `switch (pc)` over basic-block labels inside a
// loop, memory accesses are inline bounds checks against the region table with a slow path for
// the context rewrite and faults (see memory.ts). BigInt appears only in 64-bit div/mod.
import * as I from './isa';
import type { Insn } from './isa';
import { ADDR_BASE } from './memory';
import { REGION_CTX } from './machine';
import { LoadError } from './vmFault';
import { analyzeInit, defsUses, MAIN_ENTRY, SUB_ENTRY } from './initAnalysis';
import { findLabels, hasLoop } from './blockLabels';
import { compileWasmTier, wasmAvailable } from './wasm/wasmTier';

/**
 * Which compiler runs a program: 'js' (this file), 'wasm' (wasm/wasmCompiler.ts: a WebAssembly
 * module), 'auto' (wasm for programs with a loop where the engine has WebAssembly, else js: a
 * straight-line packet parser spends its time crossing into wasm and back, a loop pays that back).
 * Traced runs always use js.
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
  /** Number of arguments of helper `id` (the uninitialised-read check reads r1..rN). Default 5. */
  helperArgs?: (id: number) => number;
  /** Validates a helper id at load time; returns an error message for unknown ids. */
  checkHelper?: (id: number, pc: number) => string | undefined;
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

const lit = (v: number): string => (v < 0 ? `(${v})` : String(v));

/** Low 64 bits of a 64×64 multiplication, and 64-bit division helpers (cold paths use BigInt). */
export const vmLib = {
  h: 0,
  mul(ah: number, al: number, bh: number, bl: number): number {
    const a0 = al & 0xffff;
    const a1 = al >>> 16;
    const b0 = bl & 0xffff;
    const b1 = bl >>> 16;
    const p00 = a0 * b0;
    const p01 = a0 * b1;
    const p10 = a1 * b0;
    const p11 = a1 * b1;
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const lo = ((mid & 0xffff) << 16) | (p00 & 0xffff);
    const hi = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
    vmLib.h = (hi + Math.imul(ah, bl) + Math.imul(al, bh)) | 0;
    return lo;
  },
  /** kind: 0 udiv, 1 sdiv, 2 umod, 3 smod (RFC 9669 §4.1: x/0 = 0, x%0 = x, INT_MIN/-1 = INT_MIN). */
  div(kind: number, dh: number, dl: number, sh: number, sl: number): number {
    if (sh === 0 && sl === 0) {
      vmLib.h = kind >= 2 ? dh : 0;
      return kind >= 2 ? dl : 0;
    }
    const signed = kind === 1 || kind === 3;
    const d = signed
      ? BigInt.asIntN(64, (BigInt(dh) << 32n) | BigInt(dl >>> 0))
      : (BigInt(dh >>> 0) << 32n) | BigInt(dl >>> 0);
    const s = signed
      ? BigInt.asIntN(64, (BigInt(sh) << 32n) | BigInt(sl >>> 0))
      : (BigInt(sh >>> 0) << 32n) | BigInt(sl >>> 0);
    const r = kind >= 2 ? d % s : d / s; // BigInt truncates toward zero, sign of % follows the dividend (as C)
    vmLib.h = Number(BigInt.asIntN(32, r >> 32n));
    return Number(BigInt.asIntN(32, r));
  },
};

function bswap32(x: string): string {
  return `(((${x} & 0xff) << 24) | ((${x} & 0xff00) << 8) | ((${x} >>> 8) & 0xff00) | ((${x} >>> 24) & 0xff))`;
}

/** Generates the JavaScript source of the program's function body. */
export function generate(insns: readonly Insn[], opts: CompileOptions = {}): string {
  const labels = findLabels(insns);
  const n = insns.length;
  const out: string[] = [];
  const H = (r: number): string => `r${r}h`;
  const L = (r: number): string => `r${r}l`;
  const regs = Array.from({ length: 11 }, (_, r) => `${H(r)},${L(r)}`).join(',');
  out.push(
    `const R = S.R, A = S.A, B = S.budget, d0 = S.depth, C = R[${REGION_CTX}], X = S.ctxImage; let m, a, t, n = S.n;`,
    `let r0h = 0, r0l = 0, r1h = a1h, r1l = a1l, r2h = a2h, r2l = a2l, r3h = a3h, r3l = a3l, r4h = a4h, r4l = a4l, r5h = a5h, r5l = a5l;`,
    `let r6h = 0, r6l = 0, r7h = 0, r7l = 0, r8h = 0, r8l = 0, r9h = 0, r9l = 0, r10h = S.stack0 + d0, r10l = ${ADDR_BASE + 512};`,
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
  const returnToCaller = `{ const c = S.cs; S.depth--; pc = c.pop(); ${keepR0[0]} ${popFlags} ${keepR0[1]} ${setFlags([1, 2, 3, 4, 5], 0)} r10l = c.pop(); r10h = c.pop(); r9l = c.pop(); r9h = c.pop(); r8l = c.pop(); r8h = c.pop(); r7l = c.pop(); r7h = c.pop(); r6l = c.pop(); r6h = c.pop(); continue; }`;
  out.push(`for (;;) { switch (pc) {`);
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
    }
    k++;
    if (opts.trace) out.push(`S.trace(${pc}, ${regs});`);
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
            `S.cs.push(r6h, r6l, r7h, r7l, r8h, r8l, r9h, r9l, r10h, r10l, ${pushFlags ? pushFlags + ', ' : ''}${pc + 1}); ${setFlags([0, 6, 7, 8, 9], 0)} ${setFlags([1, 2, 3, 4, 5], 1)} S.depth++; r10h = S.stack0 + S.depth; r10l = ${ADDR_BASE + 512}; pc = ${t}; continue;`,
          );
          k = 0;
          continue;
        }
        if (s === I.PSEUDO_KFUNC_CALL) {
          // A kfunc the VM runs (vm/kfuncs.ts: imm = its id, like the kernel's BTF id), called as a
          // helper is; imm 0 is a kfunc only the verifier's load keeps: it faults if run.
          out.push(
            i.imm === 0
              ? `${flush()} S.fault(${pc}, 'kfunc calls are not supported by the XDP Lab VM');`
              : `${flush()} A[0] = r1h; A[1] = r1l; A[2] = r2h; A[3] = r2l; A[4] = r3h; A[5] = r3l; A[6] = r4h; A[7] = r4l; A[8] = r5h; A[9] = r5l; S.n = n; r0l = S.kfunc(${pc}, ${i.imm}); r0h = S.rh; n = S.n; ${setFlags([0], 1)} ${setFlags([1, 2, 3, 4, 5], 0)}`,
          );
          k = 0;
          continue;
        }
        if (s !== 0) bad(`invalid call src_reg ${s}`);
        const why = opts.checkHelper?.(i.imm, pc);
        if (why) throw new LoadError(why);
        if (i.imm === BPF_FUNC_MAP_LOOKUP_ELEM && !opts.trace) {
          // The kernel inlines map lookups (array_map_gen_lookup, htab_map_gen_lookup): here the
          // machine's direct entry, without the helper table, the argument array or the helper's
          // argument re-reads (Machine.lookupElem falls back to the helper for anything unusual).
          out.push(
            `${flush()} r0l = S.lookupElem(${pc}, r1h, r1l, r2h, r2l); r0h = S.rh; ${setFlags([0], 1)} ${setFlags([1, 2, 3, 4, 5], 0)}`,
          );
          k = 0;
          continue;
        }
        out.push(
          `${flush()} A[0] = r1h; A[1] = r1l; A[2] = r2h; A[3] = r2l; A[4] = r3h; A[5] = r3l; A[6] = r4h; A[7] = r4l; A[8] = r5h; A[9] = r5l;`,
          `S.n = n; r0l = S.call(${pc}, ${i.imm}); r0h = S.rh; n = S.n; ${setFlags([0], 1)} ${setFlags([1, 2, 3, 4, 5], 0)}`,
        );
        k = 0;
        // A taken tail call never returns. From the main program the run loop starts the target;
        // from a sub-program the target replaces the sub-program's frame and its r0 goes back to
        // the sub-program's caller (the kernel's tail calls in sub-programs, 5.10+).
        if (opts.tailCallHelper === i.imm)
          out.push(
            `if (S.tail !== null) { if (S.depth === d0) { S.rh = r0h; return r0l; } r0l = S.tailInSubprogram(); r0h = S.rh; n = S.n; ${returnToCaller} }`,
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
        out.push(`${DL} = ${lit(v.lo | 0)}; ${DH} = ${lit(v.hi | 0)}; ${defined}`);
      }
      pc++;
      continue;
    }
    // Loads and stores.
    const mode = i.op & 0xe0;
    const size = I.sizeBytes(i.op);
    const base = cls === I.BPF_LDX ? s : d;
    const addr = `m = R[${H(base)}]; a = ${L(base)} + ${lit(i.off - ADDR_BASE)};`;
    if (cls === I.BPF_LDX) {
      if (mode !== I.BPF_MEM && mode !== I.BPF_MEMSX) bad('invalid load mode');
      if (mode === I.BPF_MEMSX && size === 8) bad('invalid sign-extending load size');
      if (d === 10) bad('r10 is read-only');
      const sx = mode === I.BPF_MEMSX;
      let fast: string;
      if (size === 8) fast = `${DL} = m.dv.getInt32(a, true); ${DH} = m.dv.getInt32(a + 4, true);`;
      else if (size === 4)
        fast = sx
          ? `${DL} = m.dv.getInt32(a, true); ${DH} = ${DL} >> 31;`
          : `${DL} = m.dv.getInt32(a, true); ${DH} = 0;`;
      else if (size === 2)
        fast = sx
          ? `${DL} = m.dv.getInt16(a, true); ${DH} = ${DL} >> 31;`
          : `${DL} = m.dv.getUint16(a, true); ${DH} = 0;`;
      else
        fast = sx ? `${DL} = m.dv.getInt8(a); ${DH} = ${DL} >> 31;` : `${DL} = m.dv.getUint8(a); ${DH} = 0;`;
      // A 4-byte read of the context comes from the machine's image of the rewrite (Machine.ctxImage:
      // the kernel's xdp_convert_ctx_access turns it into a load of the xdp_buff field too).
      const ctx =
        size === 4 && !sx
          ? `if (m === C && X[12] === 1 && a >= 0 && a <= 20 && (a & 3) === 0) { ${DL} = X[a >> 1]; ${DH} = X[(a >> 1) + 1]; } else `
          : '';
      out.push(
        `${addr} if (m === undefined || a < m.lo || a + ${size} > m.hi) { ${ctx}{ ${DL} = S.load(${pc}, ${size}, ${sx}, ${H(base)}, a); ${DH} = S.rh; } } else { ${fast} } ${defined}`,
      );
      continue;
    }
    if (cls === I.BPF_ST || (cls === I.BPF_STX && mode === I.BPF_MEM)) {
      if (mode !== I.BPF_MEM) bad('invalid store mode');
      const VH = cls === I.BPF_ST ? lit(i.imm < 0 ? -1 : 0) : H(s);
      const VL = cls === I.BPF_ST ? lit(i.imm) : L(s);
      let fast: string;
      if (size === 8) fast = `m.dv.setInt32(a, ${VL}, true); m.dv.setInt32(a + 4, ${VH}, true);`;
      else if (size === 4) fast = `m.dv.setInt32(a, ${VL}, true);`;
      else if (size === 2) fast = `m.dv.setUint16(a, ${VL} & 0xffff, true);`;
      else fast = `m.dv.setUint8(a, ${VL} & 0xff);`;
      out.push(
        `${addr} if (m === undefined || a < m.lo || a + ${size} > m.whi) S.store(${pc}, ${size}, ${H(base)}, a, ${VH}, ${VL}); else { ${fast} }`,
      );
      continue;
    }
    if (cls === I.BPF_STX && mode === I.BPF_ATOMIC) {
      if (size !== 4 && size !== 8) bad('invalid atomic size');
      const op = i.imm;
      const ok =
        [0x00, 0x40, 0x50, 0xa0].includes(op & ~I.ATOMIC_FETCH) ||
        op === I.ATOMIC_XCHG ||
        op === I.ATOMIC_CMPXCHG;
      if (!ok) bad(`invalid atomic operation 0x${(op >>> 0).toString(16)}`);
      const call = `S.atomic(${pc}, ${size}, ${op}, ${H(d)}, ${L(d)} + ${lit(i.off - ADDR_BASE)}, ${H(s)}, ${L(s)}, r0h, r0l)`;
      if (op === 0x00) {
        // A plain atomic add (counters: the common case) inline; anything else goes to Machine.atomic.
        const add =
          size === 8
            ? `t = (m.dv.getInt32(a, true) >>> 0) + (${L(s)} >>> 0); m.dv.setInt32(a + 4, (m.dv.getInt32(a + 4, true) + ${H(s)} + (t > 4294967295 ? 1 : 0)) | 0, true); m.dv.setInt32(a, t | 0, true);`
            : `m.dv.setInt32(a, (m.dv.getInt32(a, true) + ${L(s)}) | 0, true);`;
        out.push(
          `m = R[${H(d)}]; a = ${L(d)} + ${lit(i.off - ADDR_BASE)}; if (m === undefined || a < m.lo || a + ${size} > m.whi) ${call}; else { ${add} }`,
        );
        continue;
      }
      if (op === I.ATOMIC_CMPXCHG) out.push(`r0l = ${call}; r0h = S.rh; ${defined}`);
      else if (op & I.ATOMIC_FETCH) out.push(`${L(s)} = ${call}; ${H(s)} = S.rh; ${defined}`);
      else out.push(`${call};`);
      continue;
    }
    bad('unknown instruction');
  }
  if (k > 0) out.push(`n += ${k};`);
  out.push(`S.n = n; S.fault(${n}, 'the program ran past its last instruction');`);
  out.push(`default: S.fault(pc, 'no instruction starts at pc ' + pc); } }`);
  return out.join('\n');
}

function alu64(
  code: number,
  i: Insn,
  DH: string,
  DL: string,
  SH: string,
  SL: string,
  x: boolean,
  bad: (w: string) => never,
): string {
  switch (code) {
    case I.ALU_ADD: {
      const su = x ? `(${SL} >>> 0)` : String(i.imm >>> 0);
      const sh = x ? ` + ${SH}` : i.imm < 0 ? ' - 1' : '';
      return `t = (${DL} >>> 0) + ${su}; ${DH} = (${DH}${sh} + (t > 4294967295 ? 1 : 0)) | 0; ${DL} = t | 0;`;
    }
    case I.ALU_SUB: {
      const su = x ? `(${SL} >>> 0)` : String(i.imm >>> 0);
      const sh = x ? ` - ${SH}` : i.imm < 0 ? ' + 1' : '';
      return `t = (${DL} >>> 0) - ${su}; ${DH} = (${DH}${sh} - (t < 0 ? 1 : 0)) | 0; ${DL} = t | 0;`;
    }
    case I.ALU_MUL:
      return `${DL} = L.mul(${DH}, ${DL}, ${SH}, ${SL}); ${DH} = L.h;`;
    case I.ALU_DIV:
    case I.ALU_MOD: {
      if (i.off !== 0 && i.off !== 1) bad('invalid div/mod offset');
      const kind = (code === I.ALU_MOD ? 2 : 0) + i.off;
      return `${DL} = L.div(${kind}, ${DH}, ${DL}, ${SH}, ${SL}); ${DH} = L.h;`;
    }
    case I.ALU_OR:
      return `${DH} |= ${SH}; ${DL} |= ${SL};`;
    case I.ALU_AND:
      return `${DH} &= ${SH}; ${DL} &= ${SL};`;
    case I.ALU_XOR:
      return `${DH} ^= ${SH}; ${DL} ^= ${SL};`;
    case I.ALU_MOV:
      if (i.off === 0) return `${DH} = ${SH}; ${DL} = ${SL};`;
      if (!x) bad('movsx needs a register source');
      if (i.off === 8) return `${DL} = (${SL} << 24) >> 24; ${DH} = ${DL} >> 31;`;
      if (i.off === 16) return `${DL} = (${SL} << 16) >> 16; ${DH} = ${DL} >> 31;`;
      if (i.off === 32) return `${DL} = ${SL}; ${DH} = ${DL} >> 31;`;
      return bad('invalid movsx offset');
    case I.ALU_NEG:
      if (x) bad('invalid neg');
      return `${DL} = (~${DL} + 1) | 0; ${DH} = (~${DH} + (${DL} === 0 ? 1 : 0)) | 0;`;
    case I.ALU_LSH:
    case I.ALU_RSH:
    case I.ALU_ARSH: {
      if (!x) return shift64(code, DH, DL, (i.imm >>> 0) & 63);
      return `t = ${SL} & 63; if (t !== 0) { if (t < 32) { ${shiftBody(code, DH, DL, 't', false)} } else { ${shiftBody(code, DH, DL, 't - 32', true)} } }`;
    }
    case I.ALU_END:
      // ALU64 | END = unconditional byte swap (cpu v4).
      if (x) bad('invalid bswap');
      return bswap(i.imm, DH, DL, bad);
    default:
      return bad('unknown ALU64 operation');
  }
}

function shiftBody(code: number, DH: string, DL: string, t: string, wide: boolean): string {
  if (code === I.ALU_LSH)
    return wide
      ? `${DH} = ${DL} << (${t}); ${DL} = 0;`
      : `${DH} = (${DH} << ${t}) | (${DL} >>> (32 - ${t})); ${DL} = ${DL} << ${t};`;
  if (code === I.ALU_RSH)
    return wide
      ? `${DL} = (${DH} >>> (${t})) | 0; ${DH} = 0;`
      : `${DL} = ((${DL} >>> ${t}) | (${DH} << (32 - ${t}))) | 0; ${DH} = (${DH} >>> ${t}) | 0;`;
  return wide
    ? `${DL} = ${DH} >> (${t}); ${DH} = ${DH} >> 31;`
    : `${DL} = ((${DL} >>> ${t}) | (${DH} << (32 - ${t}))) | 0; ${DH} = ${DH} >> ${t};`;
}

function shift64(code: number, DH: string, DL: string, amount: number): string {
  if (amount === 0) return '';
  return amount < 32
    ? shiftBody(code, DH, DL, String(amount), false)
    : shiftBody(code, DH, DL, String(amount - 32), true);
}

function bswap(imm: number, DH: string, DL: string, bad: (w: string) => never): string {
  if (imm === 16) return `${DL} = ((${DL} & 0xff) << 8) | ((${DL} >>> 8) & 0xff); ${DH} = 0;`;
  if (imm === 32) return `${DL} = ${bswap32(DL)}; ${DH} = 0;`;
  if (imm === 64) return `t = ${bswap32(DL)}; ${DL} = ${bswap32(DH)}; ${DH} = t;`;
  return bad('invalid byte-swap width');
}

function alu32(
  code: number,
  i: Insn,
  DH: string,
  DL: string,
  SL: string,
  SU: string,
  x: boolean,
  bad: (w: string) => never,
): string {
  const z = `${DH} = 0;`;
  switch (code) {
    case I.ALU_ADD:
      return `${DL} = (${DL} + ${SL}) | 0; ${z}`;
    case I.ALU_SUB:
      return `${DL} = (${DL} - ${SL}) | 0; ${z}`;
    case I.ALU_MUL:
      return `${DL} = Math.imul(${DL}, ${SL}); ${z}`;
    case I.ALU_DIV:
      if (i.off === 0) return `t = ${SU}; ${DL} = t === 0 ? 0 : (((${DL} >>> 0) / t) >>> 0) | 0; ${z}`;
      if (i.off === 1) return `t = ${SL}; ${DL} = t === 0 ? 0 : (${DL} / t) | 0; ${z}`;
      return bad('invalid div offset');
    case I.ALU_MOD:
      if (i.off === 0) return `t = ${SU}; ${DL} = t === 0 ? ${DL} : ((${DL} >>> 0) % t) | 0; ${z}`;
      if (i.off === 1) return `t = ${SL}; ${DL} = t === 0 ? ${DL} : (${DL} % t) | 0; ${z}`;
      return bad('invalid mod offset');
    case I.ALU_OR:
      return `${DL} |= ${SL}; ${z}`;
    case I.ALU_AND:
      return `${DL} &= ${SL}; ${z}`;
    case I.ALU_XOR:
      return `${DL} ^= ${SL}; ${z}`;
    case I.ALU_MOV:
      if (i.off === 0) return `${DL} = ${SL}; ${z}`;
      if (!x) bad('movsx needs a register source');
      if (i.off === 8) return `${DL} = (${SL} << 24) >> 24; ${z}`;
      if (i.off === 16) return `${DL} = (${SL} << 16) >> 16; ${z}`;
      return bad('invalid movsx offset');
    case I.ALU_NEG:
      if (x) bad('invalid neg');
      return `${DL} = (-${DL}) | 0; ${z}`;
    case I.ALU_LSH:
      return `${DL} = ${DL} << (${SL} & 31); ${z}`;
    case I.ALU_RSH:
      return `${DL} = (${DL} >>> (${SL} & 31)) | 0; ${z}`;
    case I.ALU_ARSH:
      return `${DL} = ${DL} >> (${SL} & 31); ${z}`;
    case I.ALU_END:
      if (x) {
        // to big-endian: swap (the host, like every eBPF target we model, is little-endian)
        return bswap(i.imm, DH, DL, bad);
      }
      // to little-endian: truncation only
      if (i.imm === 16) return `${DL} &= 0xffff; ${z}`;
      if (i.imm === 32) return z;
      if (i.imm === 64) return '';
      return bad('invalid byte-swap width');
    default:
      return bad('unknown ALU operation');
  }
}

function cond64(
  code: number,
  DH: string,
  DL: string,
  SH: string,
  SL: string,
  bad: (w: string) => never,
): string {
  const uhi = `(${DH} >>> 0) OP (${SH} >>> 0)`;
  const ulo = `(${DL} >>> 0) OP (${SL} >>> 0)`;
  const unsigned = (strict: string, eq: string): string =>
    `(${uhi.replace('OP', strict)} || (${DH} === ${SH} && ${ulo.replace('OP', eq)}))`;
  const signed = (strict: string, eq: string): string =>
    `(${DH} ${strict} ${SH} || (${DH} === ${SH} && ${ulo.replace('OP', eq)}))`;
  switch (code) {
    case I.JMP_JEQ:
      return `${DL} === ${SL} && ${DH} === ${SH}`;
    case I.JMP_JNE:
      return `${DL} !== ${SL} || ${DH} !== ${SH}`;
    case I.JMP_JSET:
      return `(${DL} & ${SL}) !== 0 || (${DH} & ${SH}) !== 0`;
    case I.JMP_JGT:
      return unsigned('>', '>');
    case I.JMP_JGE:
      return unsigned('>', '>=');
    case I.JMP_JLT:
      return unsigned('<', '<');
    case I.JMP_JLE:
      return unsigned('<', '<=');
    case I.JMP_JSGT:
      return signed('>', '>');
    case I.JMP_JSGE:
      return signed('>', '>=');
    case I.JMP_JSLT:
      return signed('<', '<');
    case I.JMP_JSLE:
      return signed('<', '<=');
    default:
      return bad('unknown jump operation');
  }
}

function cond32(code: number, DL: string, SL: string, SU: string, bad: (w: string) => never): string {
  const u = `(${DL} >>> 0)`;
  switch (code) {
    case I.JMP_JEQ:
      return `${DL} === ${SL}`;
    case I.JMP_JNE:
      return `${DL} !== ${SL}`;
    case I.JMP_JSET:
      return `(${DL} & ${SL}) !== 0`;
    case I.JMP_JGT:
      return `${u} > ${SU}`;
    case I.JMP_JGE:
      return `${u} >= ${SU}`;
    case I.JMP_JLT:
      return `${u} < ${SU}`;
    case I.JMP_JLE:
      return `${u} <= ${SU}`;
    case I.JMP_JSGT:
      return `${DL} > ${SL}`;
    case I.JMP_JSGE:
      return `${DL} >= ${SL}`;
    case I.JMP_JSLT:
      return `${DL} < ${SL}`;
    case I.JMP_JSLE:
      return `${DL} <= ${SL}`;
    default:
      return bad('unknown jump operation');
  }
}

/** Compiles `insns` into a callable function (throws LoadError for anything that cannot run). */
export function compile(insns: readonly Insn[], opts: CompileOptions = {}): CompiledProgram {
  if (insns.length === 0) throw new LoadError('the program has no instructions');
  const body = generate(insns, opts); // also validates every instruction for the wasm tier
  // Programs calling kfuncs run on js (the wasm tier has no kfunc imports).
  const kfuncs = insns.some((i) => i.op === (I.BPF_JMP | I.JMP_CALL) && i.src === I.PSEUDO_KFUNC_CALL);
  if (
    (opts.tier === 'wasm' || (opts.tier === 'auto' && wasmAvailable() && hasLoop(insns))) &&
    !opts.trace &&
    !kfuncs
  ) {
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
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function(
    'L',
    `"use strict"; return (function bpfProgram(S, pc, a1h, a1l, a2h, a2l, a3h, a3l, a4h, a4l, a5h, a5l) {\n${body}\n});`,
  ) as (lib: typeof vmLib) => CompiledProgram;
  return factory(vmLib);
}
