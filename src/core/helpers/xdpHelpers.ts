// XDP buffer helpers (net/core/filter.c): adjust head/tail/meta, load/store bytes across frags,
// buffer length and MTU check. Bounds and errnos follow the kernel functions of the same names.
import { EACCES, EINVAL, ENODEV } from '../maps/errno';
import type { HelperFn, Machine } from '../vm/machine';
import { REGION_CTX } from '../vm/machine';
import { bufferLength, ETH_HLEN, PAGE_SIZE, SHINFO_SIZE } from '../vm/xdpBuffer';
import type { XdpBuffer } from '../vm/xdpRun';

/** sizeof(struct xdp_frame): the headroom a frame conversion needs (xdp_frame_end). */
const XDP_FRAME_SIZE = 40;

function buffer(M: Machine, pc: number, name: string): XdpBuffer {
  if (M.argHi(1) !== REGION_CTX || !M.xdp)
    M.fault(pc, `${name}: argument 1 must be the program's context (struct xdp_md *)`);
  return M.xdp.buffer;
}

export const bpf_xdp_adjust_head: HelperFn = (M, pc) => {
  const b = buffer(M, pc, 'bpf_xdp_adjust_head');
  const offset = M.argLo(2);
  const metalen = b.data - b.dataMeta;
  const dataStart = XDP_FRAME_SIZE + metalen;
  const data = b.data + offset;
  if (data < dataStart || data > b.dataEnd - ETH_HLEN) return M.ret(-EINVAL);
  if (metalen) b.bytes.copyWithin(b.dataMeta + offset, b.dataMeta, b.data);
  b.dataMeta += offset;
  b.data = data;
  M.syncPacket();
  return M.ret(0);
};

export const bpf_xdp_adjust_meta: HelperFn = (M, pc) => {
  const b = buffer(M, pc, 'bpf_xdp_adjust_meta');
  const meta = b.dataMeta + M.argLo(2);
  const metalen = b.data - meta;
  if (meta < XDP_FRAME_SIZE || meta > b.data) return M.ret(-EINVAL);
  if (metalen & 3 || metalen > 32) return M.ret(-EACCES);
  b.dataMeta = meta;
  M.syncPacket();
  return M.ret(0);
};

export const bpf_xdp_adjust_tail: HelperFn = (M, pc) => {
  const b = buffer(M, pc, 'bpf_xdp_adjust_tail');
  const offset = M.argLo(2);
  if (b.frags.length) {
    if (offset >= 0) {
      // bpf_xdp_frags_increase_tail: the last frag grows into the rest of its page (frag_size =
      // PAGE_SIZE for test runs), zero-filled; beyond that EINVAL.
      const last = b.frags[b.frags.length - 1] as Uint8Array;
      if (offset > PAGE_SIZE - last.length) return M.ret(-EINVAL);
      M.packetWritten(); // the frags change without the window moving
      const grown = new Uint8Array(last.length + offset);
      grown.set(last);
      b.frags[b.frags.length - 1] = grown;
      return M.ret(0);
    }
    let free = -offset;
    if (free > bufferLength(b) - ETH_HLEN) return M.ret(-EINVAL);
    while (free > 0 && b.frags.length) {
      const last = b.frags[b.frags.length - 1] as Uint8Array;
      if (last.length <= free) {
        free -= last.length;
        b.frags.pop();
      } else {
        b.frags[b.frags.length - 1] = last.subarray(0, last.length - free);
        free = 0;
      }
    }
    b.dataEnd -= free;
    M.syncPacket();
    return M.ret(0);
  }
  const hardEnd = PAGE_SIZE - SHINFO_SIZE;
  const end = b.dataEnd + offset;
  if (end > hardEnd || end < b.data + ETH_HLEN) return M.ret(-EINVAL);
  if (offset > 0) b.bytes.fill(0, b.dataEnd, end);
  b.dataEnd = end;
  M.syncPacket();
  return M.ret(0);
};

/** Copies between the frame (linear part then frags) and program memory. */
function copyFrame(b: XdpBuffer, offset: number, mem: Uint8Array, toFrame: boolean): void {
  let pos = 0;
  const segs = [b.bytes.subarray(b.data, b.dataEnd), ...b.frags];
  for (const seg of segs) {
    const start = Math.max(offset, pos);
    const end = Math.min(offset + mem.length, pos + seg.length);
    if (start < end) {
      if (toFrame) seg.set(mem.subarray(start - offset, end - offset), start - pos);
      else mem.set(seg.subarray(start - pos, end - pos), start - offset);
    }
    pos += seg.length;
  }
}

const loadStore =
  (toFrame: boolean): HelperFn =>
  (M, pc) => {
    const name = toFrame ? 'bpf_xdp_store_bytes' : 'bpf_xdp_load_bytes';
    const b = buffer(M, pc, name);
    const offset = M.argLo(2) >>> 0;
    const len = M.argLo(4) >>> 0;
    const mem = M.argMem(pc, 3, len, !toFrame, `${name} buffer`);
    if (len === 0 || offset + len > bufferLength(b)) return M.ret(-EINVAL);
    if (toFrame) M.packetWritten();
    copyFrame(b, offset, mem, toFrame);
    return M.ret(0);
  };
export const bpf_xdp_load_bytes = loadStore(false);
export const bpf_xdp_store_bytes = loadStore(true);

export const bpf_xdp_get_buff_len: HelperFn = (M, pc) =>
  M.ret(bufferLength(buffer(M, pc, 'bpf_xdp_get_buff_len')));

/** bpf_xdp_check_mtu: dev MTU + 14 against the linear length (or *mtu_len) plus len_diff. */
export const bpf_check_mtu: HelperFn = (M, pc) => {
  const b = buffer(M, pc, 'bpf_check_mtu');
  const sys = M.system;
  if (M.argLo(5) !== 0 || M.argHi(5) !== 0) return M.ret(-EINVAL);
  const ifindex = M.argLo(2) >>> 0;
  const dev = ifindex || M.xdp!.ctx.ingressIfindex;
  if (ifindex && !sys.redirectEnv.ifindexExists(ifindex)) return M.ret(-ENODEV);
  const mtuLen = M.argMem(pc, 3, 4, true, 'mtu_len');
  const dv = new DataView(mtuLen.buffer, mtuLen.byteOffset, 4);
  const mtu = sys.mtuOf(dev);
  const given = dv.getUint32(0, true);
  let len = given ? given + ETH_HLEN : b.dataEnd - b.data;
  len += M.argLo(4);
  dv.setUint32(0, mtu, true);
  return M.ret(len > mtu + ETH_HLEN ? 1 /* BPF_MTU_CHK_RET_FRAG_NEEDED */ : 0);
};
