// struct nf_conn as a BPF program sees it through the conntrack kfuncs (include/net/netfilter/
// nf_conntrack.h): the byte layout, taken from the kernel BTF CO-RE resolves against, and the
// fields of one entry's image (timeout, zone, both tuple hashes, status, mark).
import type { Btf } from '../elf/btf';
import { BTF_KIND } from '../elf/btf';

/** Byte offsets of the nf_conn members the kfuncs write and programs read. */
export interface NfConnLayout {
  size: number;
  timeout: number;
  zone: number;
  /** tuplehash[IP_CT_DIR_MAX]: two struct nf_conntrack_tuple_hash of 56 bytes. */
  tuplehash: number;
  status: number;
  /** Absent when the kernel is built without CONFIG_NF_CONNTRACK_MARK. */
  mark?: number;
}

/** Linux 6.18 x86-64 (CONFIG_NF_CONNTRACK_MARK, _ZONES): `bpftool btf dump` of struct nf_conn. */
export const NF_CONN_6_18: NfConnLayout = {
  size: 248,
  timeout: 8,
  zone: 12,
  tuplehash: 16,
  status: 128,
  mark: 168,
};

/** struct nf_conntrack_tuple_hash: an hlist_nulls_node (16 bytes), then the tuple (40 bytes). */
const TUPLE_HASH_SIZE = 56;
const TUPLE_IN_HASH = 16;

/** The layout of struct nf_conn in `btf` (the kernel's), or undefined when it has none. */
export function nfConnLayout(btf: Btf): NfConnLayout | undefined {
  const t = btf.findByNameKind('nf_conn', BTF_KIND.STRUCT);
  if (!t) return undefined;
  const off = (name: string): number | undefined => {
    const m = t.members.find((x) => x.name === name);
    return m ? (m.offset & 0xffffff) / 8 : undefined;
  };
  const timeout = off('timeout');
  const zone = off('zone');
  const tuplehash = off('tuplehash');
  const status = off('status');
  if (timeout === undefined || tuplehash === undefined || status === undefined) return undefined;
  const mark = off('mark');
  return {
    size: t.sizeOrType,
    timeout,
    // Without CONFIG_NF_CONNTRACK_ZONES there is no zone member: nothing is written for it.
    zone: zone ?? -1,
    tuplehash,
    status,
    ...(mark !== undefined ? { mark } : {}),
  };
}

/** One direction of a connection: struct nf_conntrack_tuple's fields (addresses in network order). */
/** The tuple's protocols (include/uapi/linux/in.h). */
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export interface CtTuple {
  /** AF_INET (2) or AF_INET6 (10). */
  l3num: number;
  /** IPPROTO_TCP (6) or IPPROTO_UDP (17). */
  protonum: number;
  /** 4 or 16 bytes. */
  src: Uint8Array;
  dst: Uint8Array;
  /** Host-order port numbers. */
  sport: number;
  dport: number;
}

/** The reply direction of `t` (nf_ct_invert_tuple for TCP/UDP: addresses and ports swapped). */
export function invertTuple(t: CtTuple): CtTuple {
  return { l3num: t.l3num, protonum: t.protonum, src: t.dst, dst: t.src, sport: t.dport, dport: t.sport };
}

/** Writes `t` as struct nf_conntrack_tuple of direction `dir` at `o` (40 bytes). */
function writeTuple(b: Uint8Array, dv: DataView, o: number, t: CtTuple, dir: number): void {
  b.fill(0, o, o + 40);
  b.set(t.src, o); // src.u3
  dv.setUint16(o + 16, t.sport, false); // src.u.all (__be16)
  dv.setUint16(o + 18, t.l3num, true); // src.l3num
  b.set(t.dst, o + 20); // dst.u3
  dv.setUint16(o + 36, t.dport, false); // dst.u.all
  b[o + 38] = t.protonum; // dst.protonum
  b[o + 39] = dir; // dst.dir
}

/** The fields of an nf_conn the model keeps; the image holds them at the layout's offsets. */
export interface NfConnFields {
  orig: CtTuple;
  /** The reply direction's tuple: the inverse of `orig` unless NAT changed it (nf_nat_setup_info). */
  reply?: CtTuple;
  status: number;
  mark: number;
  /** ct->timeout in jiffies: absolute once confirmed, relative before (__nf_ct_set_timeout). */
  timeout: number;
  zoneId: number;
  /** NF_CT_ZONE_DIR_ORIG (1) | NF_CT_ZONE_DIR_REPL (2); 3 is the default. */
  zoneDir: number;
}

/** A fresh image of `f` laid out as `layout` (the rest zero, as nf_conntrack_alloc leaves it). */
export function nfConnImage(layout: NfConnLayout, f: NfConnFields): Uint8Array {
  const b = new Uint8Array(layout.size);
  const dv = new DataView(b.buffer);
  dv.setUint32(layout.timeout, f.timeout >>> 0, true);
  if (layout.zone >= 0) {
    dv.setUint16(layout.zone, f.zoneId, true);
    b[layout.zone + 3] = f.zoneDir;
  }
  writeTuple(b, dv, layout.tuplehash + TUPLE_IN_HASH, f.orig, 0);
  writeTuple(b, dv, layout.tuplehash + TUPLE_HASH_SIZE + TUPLE_IN_HASH, f.reply ?? invertTuple(f.orig), 1);
  dv.setUint32(layout.status, f.status >>> 0, true);
  if (layout.mark !== undefined) dv.setUint32(layout.mark, f.mark >>> 0, true);
  return b;
}

/** Writes the reply tuple of an image laid out as `layout` (nf_conntrack_alter_reply). */
export function writeReplyTuple(layout: NfConnLayout, image: Uint8Array, reply: CtTuple): void {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  writeTuple(image, dv, layout.tuplehash + TUPLE_HASH_SIZE + TUPLE_IN_HASH, reply, 1);
}
