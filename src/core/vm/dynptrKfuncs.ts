// The dynptr kfuncs an XDP program calls, as Linux 6.18 runs them (kernel/bpf/helpers.c,
// net/core/filter.c bpf_dynptr_from_xdp): a dynptr over the frame, slices of it (bpf_xdp_pointer or a
// copy, bpf_xdp_copy_buf), its size, offset adjustments and clones, on the program's 16 stack bytes.
import type { KfuncFn, Machine } from './machine';
import { REGION_PACKET } from './machine';
import { ADDR_BASE } from './memory';
import { bufferLength } from './xdpBuffer';

const EINVAL = 22;
/**
 * struct bpf_dynptr_kern as the program's 16 stack bytes hold it (include/linux/bpf.h): the data
 * pointer (for an xdp dynptr the context, as the kernel keeps its xdp_buff), the size word with the
 * type in bits 28–30 and the read-only bit 31, and the offset.
 */
const DYNPTR_TYPE_XDP = 4;
const DYNPTR_TYPE_SHIFT = 28;
const DYNPTR_SIZE_MASK = 0xffffff;
const DYNPTR_RDONLY_BIT = 0x80000000;
const ERANGE = 34;

/** The dynptr argument i points to, as a DataView over its 16 bytes. */
function dynptrArg(M: Machine, pc: number, i: number, what: string, write = false): DataView {
  const b = M.argMem(pc, i, 16, write, `${what} dynptr`);
  return new DataView(b.buffer, b.byteOffset, 16);
}

/** bpf_dynptr_set_null */
function dynptrSetNull(d: DataView): void {
  for (let i = 0; i < 16; i += 4) d.setUint32(i, 0, true);
}

/** The data pointer's two words are zero: a NULL dynptr (bpf_dynptr_is_null). */
const dynptrNull = (d: DataView): boolean => d.getUint32(0, true) === 0 && d.getUint32(4, true) === 0;
const dynptrSize = (d: DataView): number => d.getUint32(8, true) & DYNPTR_SIZE_MASK;
const dynptrOffset = (d: DataView): number => d.getUint32(12, true);

/**
 * bpf_dynptr_slice for an xdp dynptr: a pointer into the frame when the bytes lie in its linear
 * part (bpf_xdp_pointer), else a copy into the caller's buffer (bpf_xdp_copy_buf), else NULL.
 */
function dynptrSlice(M: Machine, pc: number): number {
  const d = dynptrArg(M, pc, 1, 'bpf_dynptr_slice');
  const off = M.argLo(2) >>> 0;
  const len = M.argLo(4) >>> 0;
  if (dynptrNull(d)) return M.ptr(undefined);
  // bpf_dynptr_check_off_len
  if (off > dynptrSize(d) || len > dynptrSize(d) - off) return M.ptr(undefined);
  const b = M.xdp?.buffer;
  if (!b) return M.ptr(undefined);
  const at = dynptrOffset(d) + off;
  if (b.data + at + len <= b.dataEnd) {
    M.rh = REGION_PACKET;
    return (ADDR_BASE + b.data + at) | 0;
  }
  if (M.argHi(3) === 0 && M.argLo(3) === 0) return M.ptr(undefined);
  const buf = M.argMem(pc, 3, len, true, 'bpf_dynptr_slice buffer__opt');
  let pos = 0;
  for (const seg of [b.bytes.subarray(b.data, b.dataEnd), ...b.frags]) {
    const start = Math.max(at, pos);
    const end = Math.min(at + len, pos + seg.length);
    if (start < end) buf.set(seg.subarray(start - pos, end - pos), start - at);
    pos += seg.length;
  }
  M.rh = M.argHi(3);
  return M.argLo(3);
}

/** The dynptr kfuncs an XDP program calls (kernel/bpf/helpers.c, net/core/filter.c). */
export const DYNPTR_IMPLEMENTATIONS: Record<string, KfuncFn> = {
  bpf_dynptr_from_xdp(M, pc) {
    const d = dynptrArg(M, pc, 3, 'bpf_dynptr_from_xdp', true);
    if (M.argLo(2) !== 0 || M.argHi(2) !== 0 || !M.xdp) {
      dynptrSetNull(d);
      return M.ret(-EINVAL);
    }
    // bpf_dynptr_init(ptr, xdp, BPF_DYNPTR_TYPE_XDP, 0, xdp_get_buff_len(xdp))
    d.setUint32(0, M.argLo(1), true);
    d.setUint32(4, M.argHi(1), true);
    d.setUint32(
      8,
      ((bufferLength(M.xdp.buffer) & DYNPTR_SIZE_MASK) | (DYNPTR_TYPE_XDP << DYNPTR_TYPE_SHIFT)) >>> 0,
      true,
    );
    d.setUint32(12, 0, true);
    return M.ret(0);
  },
  bpf_dynptr_slice: dynptrSlice,
  bpf_dynptr_size(M, pc) {
    const d = dynptrArg(M, pc, 1, 'bpf_dynptr_size');
    return M.ret(dynptrNull(d) ? -EINVAL : dynptrSize(d));
  },
  bpf_dynptr_is_null: (M, pc) => M.ret(dynptrNull(dynptrArg(M, pc, 1, 'bpf_dynptr_is_null')) ? 1 : 0),
  bpf_dynptr_is_rdonly(M, pc) {
    const d = dynptrArg(M, pc, 1, 'bpf_dynptr_is_rdonly');
    return M.ret(!dynptrNull(d) && d.getUint32(8, true) & DYNPTR_RDONLY_BIT ? 1 : 0);
  },
  bpf_dynptr_adjust(M, pc) {
    const d = dynptrArg(M, pc, 1, 'bpf_dynptr_adjust', true);
    const start = M.argLo(2) >>> 0;
    const end = M.argLo(3) >>> 0;
    if (dynptrNull(d)) return M.ret(-EINVAL);
    if (start > end) return M.ret(-EINVAL);
    if (end > dynptrSize(d)) return M.ret(-ERANGE);
    d.setUint32(12, dynptrOffset(d) + start, true);
    const word = d.getUint32(8, true);
    d.setUint32(8, ((word & ~DYNPTR_SIZE_MASK) | (end - start)) >>> 0, true);
    return M.ret(0);
  },
  bpf_dynptr_clone(M, pc) {
    const p = dynptrArg(M, pc, 1, 'bpf_dynptr_clone');
    const c = dynptrArg(M, pc, 2, 'bpf_dynptr_clone', true);
    if (dynptrNull(p)) {
      dynptrSetNull(c);
      return M.ret(-EINVAL);
    }
    for (let i = 0; i < 16; i += 4) c.setUint32(i, p.getUint32(i, true), true);
    return M.ret(0);
  },
};
