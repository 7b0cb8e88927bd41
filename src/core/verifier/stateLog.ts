// A frame's registers and stack as the kernel's log prints them (kernel/bpf/log.c
// print_verifier_state with print_all, print_reg_state, print_scalar_ranges, verbose_snum/unum), for
// the messages that carry a state: is_state_visited's "infinite loop detected" prints the current
// and the old state of the frame it loops in. Linux 6.18 prints no liveness marks (_w, _r, _D).
import { regTypeStr } from './env';
import type { Reg } from './regState';
import { baseId, S32_MAX, S32_MIN, S64_MAX, S64_MIN } from './regState';
import type { FuncState, VState } from './state';
import { BPF_REG_SIZE, STACK_DYNPTR, STACK_INVALID, STACK_MISC, STACK_SPILL, STACK_ZERO } from './state';
import { tnumIsConst, tnumIsUnknown } from './tnum';

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = (1n << 32n) - 1n;

/** UNUM_MAX_DECIMAL (U16_MAX), SNUM_[MIN|MAX]_DECIMAL (S16): beyond them numbers print in hex. */
const isUnumDecimal = (n: bigint): boolean => n <= 0xffffn;
const isSnumDecimal = (n: bigint): boolean => n >= -0x8000n && n <= 0x7fffn;
/** The kernel's "%#llx" (its vsnprintf prints 0 as 0x0). */
const hex = (n: bigint): string => `0x${BigInt.asUintN(64, n).toString(16)}`;
/** verbose_unum / verbose_snum */
const unum = (n: bigint): string => (isUnumDecimal(n) ? `${n}` : hex(n));
const snum = (n: bigint): string => (isSnumDecimal(n) ? `${n}` : hex(n));

/** print_scalar_ranges: each bound once, equal ones of the same kind of sign merged (smax=umax=…). */
function scalarRanges(r: Reg): string[] {
  const s32min = r.s32min;
  const s32max = r.s32max;
  const m = [
    { name: 'smin', val: r.smin, omit: r.smin === S64_MIN },
    { name: 'smax', val: r.smax, omit: r.smax === S64_MAX },
    { name: 'umin', val: r.umin, omit: r.umin === 0n },
    { name: 'umax', val: r.umax, omit: r.umax === U64_MAX },
    // In hex a negative 32-bit bound prints as its u32 pattern, not sign-extended.
    {
      name: 'smin32',
      val: isSnumDecimal(s32min) ? s32min : BigInt.asUintN(32, s32min),
      omit: s32min === S32_MIN,
    },
    {
      name: 'smax32',
      val: isSnumDecimal(s32max) ? s32max : BigInt.asUintN(32, s32max),
      omit: s32max === S32_MAX,
    },
    { name: 'umin32', val: r.u32min, omit: r.u32min === 0n },
    { name: 'umax32', val: r.u32max, omit: r.u32max === U32_MAX },
  ];
  const out: string[] = [];
  for (let i = 0; i < m.length; i++) {
    const a = m[i] as (typeof m)[number];
    if (a.omit) continue;
    const neg = a.name[0] === 's' && a.val < 0n;
    let s = `${a.name}=`;
    for (let j = i + 2; j < m.length; j += 2) {
      const b = m[j] as (typeof m)[number];
      if (b.omit || BigInt.asUintN(64, b.val) !== BigInt.asUintN(64, a.val)) continue;
      if ((b.name[0] === 's' && b.val < 0n) !== neg) continue;
      b.omit = true;
      s += `${b.name}=`;
    }
    out.push(s + (a.name[0] === 's' ? snum(BigInt.asIntN(64, a.val)) : unum(BigInt.asUintN(64, a.val))));
  }
  return out;
}

/** tnum_strn */
function tnumStr(r: Reg): string {
  const t = r.varOff;
  if (tnumIsConst(t)) return unum(t.value);
  return `(${hex(t.value)}; ${hex(t.mask)})`;
}

/** print_reg_state: `frameno` is the frame the register is printed in. */
export function regStateStr(r: Reg, frameno: number): string {
  if (r.type === 'scalar' && tnumIsConst(r.varOff))
    return (r.precise ? 'P' : '') + snum(BigInt.asIntN(64, r.varOff.value));
  let s = (r.type === 'scalar' && r.precise ? 'P' : '') + regTypeStr(r);
  if (r.type === 'stack') {
    if (r.frameno !== frameno) s += `[${r.frameno}]`;
    if (tnumIsConst(r.varOff)) return s + snum(BigInt.asIntN(64, r.varOff.value) + BigInt(r.off));
  }
  if (r.type === 'btf_id') s += r.btfStruct ?? '';
  const attrs: string[] = [];
  if (r.id) attrs.push(`id=${baseId(r.id)}`);
  let addConst = '';
  if (r.id !== baseId(r.id)) addConst = `${r.off >= 0 ? '+' : ''}${r.off}`;
  if (r.refObjId) attrs.push(`ref_obj_id=${r.refObjId}`);
  if ((r.type === 'map_ptr' || r.type === 'map_key' || r.type === 'map_value') && r.map) {
    if (r.map.name) attrs.push(`map=${r.map.name}`);
    attrs.push(`ks=${r.map.keySize},vs=${r.map.valueSize}`);
  }
  if (r.type !== 'scalar' && r.off) attrs.push(`off=${snum(BigInt(r.off))}`);
  if (r.type === 'pkt' || r.type === 'pkt_meta') attrs.push(`r=${unum(BigInt(r.range))}`);
  if (r.type === 'mem') attrs.push(`sz=${unum(BigInt(r.memSize))}`);
  if (r.type === 'dynptr_ptr') attrs.push(`type=${r.dynptrKind ?? 'local'}`);
  if (tnumIsConst(r.varOff)) {
    if (r.varOff.value) attrs.push(`imm=${snum(BigInt.asIntN(64, r.varOff.value))}`);
  } else {
    attrs.push(...scalarRanges(r));
    if (!tnumIsUnknown(r.varOff)) attrs.push(`var_off=${tnumStr(r)}`);
  }
  // The id's "+off" of a linked copy follows "id=N" with no comma.
  const first = attrs[0] !== undefined && r.id ? `${attrs[0]}${addConst}` : undefined;
  return `${s}(${first !== undefined ? [first, ...attrs.slice(1)].join(',') : attrs.join(',')})`;
}

const SLOT_CHARS: Record<number, string> = {
  [STACK_INVALID]: '?',
  [STACK_SPILL]: 'r',
  [STACK_MISC]: 'm',
  [STACK_ZERO]: '0',
  [STACK_DYNPTR]: 'd',
};

/** print_verifier_state(env, vstate, frameno, true): " frameN: R0=… fp-8=… refs=… cb". */
export function verifierStateStr(st: VState, frameno: number): string {
  const f = st.frames[frameno] as FuncState;
  let s = f.frameno ? ` frame${f.frameno}:` : '';
  for (let i = 0; i < 11; i++) {
    const r = f.peekReg(i);
    if (r.type === 'not_init') continue;
    s += ` R${i}=${regStateStr(r, f.frameno)}`;
  }
  for (let i = 0; i < f.stack.length; i++) {
    const slot = f.stack[i];
    if (!slot || slot.types.every((t) => t === STACK_INVALID)) continue;
    let types = slot.types.map((t) => SLOT_CHARS[t] ?? '?').join('');
    const off = (-i - 1) * BPF_REG_SIZE;
    switch (slot.types[BPF_REG_SIZE - 1]) {
      case STACK_SPILL: {
        // The MISC/ZERO/INVALID bytes above a sub-register spill, then the spilled register.
        const j = slot.types.indexOf(STACK_SPILL);
        types = types.slice(0, j);
        s += ` fp${off}=${types}${regStateStr(slot.spilled, f.frameno)}`;
        break;
      }
      case STACK_DYNPTR: {
        // Skip to the dynptr's first (main) slot.
        i++;
        const main = f.stack[i]?.spilled;
        const kinds = [undefined, 'local', 'ringbuf', 'skb', 'xdp'];
        const attrs = [];
        if (main?.id) attrs.push(`id=${main.id}`);
        if (main?.refObjId) attrs.push(`ref_id=${main.refObjId}`);
        s += ` fp${(-i - 1) * BPF_REG_SIZE}=dynptr_${kinds[main?.memSize ?? 0] ?? '?'}(${attrs.join(',')})`;
        break;
      }
      default:
        s += ` fp${off}=${types}`;
    }
  }
  const refs = st.refs.map((r) => r.id).filter((id) => id);
  if (refs.length) s += ` refs=${refs.join(',')}`;
  if (f.callbackRange && !f.async) s += ' cb';
  if (f.async) s += ' async_cb';
  return s;
}
