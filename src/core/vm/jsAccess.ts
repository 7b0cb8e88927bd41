// The JS tier's loads, stores and atomics (compiler.ts): an inline bounds check against the region
// table (memory.ts) with the access through the region's DataView, the xdp_md context image
// (the kernel's xdp_convert_ctx_access), and the machine's slow paths (machine.ts) for the rest.
import * as I from './isa';
import type { Insn } from './isa';
import { ADDR_BASE, REGION_CTX, REGION_PACKET, STACK_SIZE } from './memory';
import { lit } from './jsAlu';

const H = (r: number): string => `r${r}h`;

/**
 * The packet region's window and view, kept in locals of the compiled function (declared at its
 * entry as `let ${PACKET_LOCALS}`): a packet access then reads no field of the Region. They go stale
 * only when the window moves or the packet unlocks — inside helpers and kfuncs (adjust_head/tail,
 * syncPacket) and the slow paths of stores and atomics (Machine.store/atomic: a run's first write to
 * the locked packet) — so the compiler emits PACKET_REFRESH after each of those.
 */
export const PACKET_LOCALS = 'Plo = P.lo, Phi = P.hi, Pw = P.whi, Pdv = P.dv';
export const PACKET_REFRESH = 'Plo = P.lo; Phi = P.hi; Pw = P.whi; Pdv = P.dv;';
const L = (r: number): string => `r${r}l`;

/**
 * The code of load, store or atomic `i` at `pc` (`defined`: the code that marks its destination
 * written, initAnalysis.ts); `bad` refuses what the verifier would. `obj`: the base register holds
 * what a map lookup or an acquiring kfunc returned (blockFacts.ts), never the context or the packet,
 * so the access goes straight to the region table (the code the other tests fall through to).
 */
export function emitMemoryAccess(
  i: Insn,
  pc: number,
  defined: string,
  bad: (why: string) => never,
  obj = false,
  cached = false,
): string {
  const cls = I.opClass(i.op);
  const d = i.dst;
  const s = i.src;
  const DH = H(d);
  const DL = L(d);
  const mode = i.op & 0xe0;
  const size = I.sizeBytes(i.op);
  const base = cls === I.BPF_LDX ? s : d;
  // The region through the table, kept in `m<base>` for the block (regionCache below), or taken from
  // it when an earlier access of the block left it there.
  const keep = base !== 10 && (obj || (cls === I.BPF_STX && mode === I.BPF_ATOMIC)); // no m10
  const region = (r: number): string =>
    cached ? `m = m${r};` : keep ? `m = m${r} = R[${H(r)}];` : `m = R[${H(r)}];`;
  const addr = `${region(base)} a = ${L(base)} + ${lit(i.off - ADDR_BASE)};`;
  // Through r10 at a constant offset inside the frame (fp-512 .. fp-1): r10 is read-only and always
  // points at the end of the current frame's stack region (machine.ts: [0, 512), writable), so the
  // access needs no bounds check — the verifier's check_stack_access, done once at compile time —
  // and goes through F, the frame's DataView (compiler.ts keeps it: no region table lookup).
  const frameOff = base === 10 && i.off >= -STACK_SIZE && i.off + size <= 0 ? STACK_SIZE + i.off : -1;
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
    else fast = sx ? `${DL} = m.dv.getInt8(a); ${DH} = ${DL} >> 31;` : `${DL} = m.dv.getUint8(a); ${DH} = 0;`;
    if (frameOff >= 0) return `a = ${frameOff}; ${fast.replaceAll('m.dv', 'F')} ${defined}`;
    const slow = `${DL} = S.load(${pc}, ${size}, ${sx}, ${H(base)}, a); ${DH} = S.rh;`;
    const generic = `${addr} if (m === undefined || a < m.lo || a + ${size} > m.hi) { ${slow} } else { ${fast} }`;
    if (obj) return `${generic} ${defined}`;
    // A packet read (the parser's common case) tests the region id first and checks the window of
    // the packet region, P (always R[REGION_PACKET]), with no region table lookup: the packet is
    // what xdp_convert_ctx_access's data/data_end point into, the verifier's PTR_TO_PACKET.
    const access = `if (${H(base)} === ${REGION_PACKET}) { a = ${L(base)} + ${lit(i.off - ADDR_BASE)}; if (a < Plo || a + ${size} > Phi) { ${slow} } else { ${fast.replaceAll('m.dv', 'Pdv')} } } else { ${generic} } ${defined}`;
    if (size !== 4 || sx) return access;
    // A 4-byte read of the context comes from the machine's image of the rewrite (Machine.ctxImage:
    // the kernel's xdp_convert_ctx_access turns it into a load of the xdp_buff field too), tested
    // first: the region id says it is the context, no table lookup or bounds check on the way.
    const anyCtx = `if (${H(base)} === ${REGION_CTX} && X[12] === 1 && (a = ${L(base)} + ${lit(i.off - ADDR_BASE)}) >= 0 && a <= 20 && (a & 3) === 0) { ${DL} = X[a >> 1]; ${DH} = X[(a >> 1) + 1]; ${defined} } else { ${access} }`;
    if (i.off < 0 || i.off > 20 || (i.off & 3) !== 0) return anyCtx;
    // Through the context pointer as the program received it (r1 at entry: REGION_CTX : ADDR_BASE),
    // a field at a constant offset: the image's word at a constant index, no address arithmetic.
    return `if (${H(base)} === ${REGION_CTX} && ${L(base)} === ${ADDR_BASE} && X[12] === 1) { ${DL} = X[${i.off >> 1}]; ${DH} = X[${(i.off >> 1) + 1}]; ${defined} } else ${anyCtx}`;
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
    if (frameOff >= 0) return `a = ${frameOff}; ${fast.replaceAll('m.dv', 'F')}`;
    const slow = `{ S.store(${pc}, ${size}, ${H(base)}, a, ${VH}, ${VL}); ${PACKET_REFRESH} }`;
    const generic = `${addr} if (m === undefined || a < m.lo || a + ${size} > m.whi) ${slow} else { ${fast} }`;
    if (obj) return generic;
    // A packet write, as a packet read above: the window's writable end (whi: -1 while the packet
    // is locked, so a run's first write takes the slow path that records it).
    return `if (${H(base)} === ${REGION_PACKET}) { a = ${L(base)} + ${lit(i.off - ADDR_BASE)}; if (a < Plo || a + ${size} > Pw) ${slow} else { ${fast.replaceAll('m.dv', 'Pdv')} } } else { ${generic} }`;
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
    // Machine.atomic unlocks the packet when the target is in it (a write): PACKET_REFRESH after it.
    if (op === 0x00) {
      // A plain atomic add (counters: the common case) inline; anything else goes to Machine.atomic.
      const add =
        size === 8
          ? `t = (m.dv.getInt32(a, true) >>> 0) + (${L(s)} >>> 0); m.dv.setInt32(a + 4, (m.dv.getInt32(a + 4, true) + ${H(s)} + (t > 4294967295 ? 1 : 0)) | 0, true); m.dv.setInt32(a, t | 0, true);`
          : `m.dv.setInt32(a, (m.dv.getInt32(a, true) + ${L(s)}) | 0, true);`;
      return `${region(d)} a = ${L(d)} + ${lit(i.off - ADDR_BASE)}; if (m === undefined || a < m.lo || a + ${size} > m.whi) { ${call}; ${PACKET_REFRESH} } else { ${add} }`;
    }
    if (op === I.ATOMIC_CMPXCHG) return `r0l = ${call}; r0h = S.rh; ${PACKET_REFRESH} ${defined}`;
    if (op & I.ATOMIC_FETCH) return `${L(s)} = ${call}; ${H(s)} = S.rh; ${PACKET_REFRESH} ${defined}`;
    return `${call}; ${PACKET_REFRESH}`;
  }
  return bad('unknown instruction');
}
