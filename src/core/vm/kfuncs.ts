// The kfuncs the VM runs, as Linux 6.18 does (net/netfilter/nf_conntrack_bpf.c, nf_nat_bpf.c):
// conntrack lookup, allocation, insertion, release, timeout, status and NAT, over the system's table
// (xdp/conntrack.ts), and the xdp dynptr kfuncs. Prototypes are the verifier's table.
import { isDevBoundKfunc, kfuncProto } from '../verifier/kfuncs';
import { isObjKfunc } from '../verifier/kptr';
import type { ConntrackEntry } from '../xdp/conntrack';
import {
  ConntrackTable,
  CT_HZ,
  ctAddrText,
  IPS,
  IPS_CONFIRMED,
  IPS_DYING,
  IPS_FIXED_TIMEOUT,
  NF_CT_DEFAULT_ZONE_DIR,
} from '../xdp/conntrack';
import type { CtTuple } from '../xdp/nfConn';
import { invertTuple } from '../xdp/nfConn';
import type { KfuncFn, Machine } from './machine';
import { ADDR_BASE } from './memory';
import { REGION_PACKET } from './machine';
import { bufferLength } from './xdpBuffer';
import type { Region } from './memory';

/** Errnos the conntrack kfuncs return (include/uapi/asm-generic/errno*.h). */
const EPERM = 1;
const ENOENT = 2;
const EBUSY = 16;
const EINVAL = 22;
const ETIME = 62;
const ENONET = 64;
const EPROTO = 71;
const EAFNOSUPPORT = 97;

/** NF_BPF_CT_OPTS_SZ (16, with ct_zone_id/ct_zone_dir); 12 is the older struct, still accepted. */
const NF_BPF_CT_OPTS_SZ = 16;
const NF_BPF_CT_OPTS_SZ_OLD = 12;
/** offsetofend(struct bpf_ct_opts, error): opts->error is written only if the struct reaches it. */
const OPTS_ERROR_END = 8;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
/** IPS_UNCHANGEABLE_MASK: NAT bits, EXPECTED, CONFIRMED, DYING, SEQ_ADJUST, TEMPLATE, UNTRACKED, offload. */
const IPS_UNCHANGEABLE_MASK =
  IPS.SRC_NAT! |
  IPS.DST_NAT! |
  IPS.SRC_NAT_DONE! |
  IPS.DST_NAT_DONE! |
  IPS.EXPECTED! |
  IPS_CONFIRMED |
  IPS_DYING |
  IPS.SEQ_ADJUST! |
  IPS.TEMPLATE! |
  IPS.UNTRACKED! |
  IPS.OFFLOAD! |
  IPS.HW_OFFLOAD!;
const INT_MAX = 0x7fffffff;

/** struct bpf_ct_opts as read (the fields __bpf_nf_ct_lookup/alloc read once, READ_ONCE). */
interface CtOpts {
  bytes: Uint8Array;
  dv: DataView;
  size: number;
}

/** The options, or an errno for the checks every conntrack kfunc makes first. */
function readOpts(o: CtOpts): { netnsId: number; l4proto: number; zoneId: number; zoneDir: number } | number {
  if (o.size !== NF_BPF_CT_OPTS_SZ && o.size !== NF_BPF_CT_OPTS_SZ_OLD) return -EINVAL;
  const netnsId = o.dv.getInt32(0, true);
  const l4proto = o.bytes[8] as number;
  const zoneId = o.dv.getUint16(10, true);
  let zoneDir = 0;
  if (o.size === NF_BPF_CT_OPTS_SZ) {
    zoneDir = o.bytes[12] as number;
    if (o.bytes[13] || o.bytes[14] || o.bytes[15]) return -EINVAL;
  } else if (zoneId) return -EINVAL; // a zone needs the 16-byte struct
  return { netnsId, l4proto, zoneId, zoneDir };
}

/** bpf_nf_ct_tuple_parse (IP_CT_DIR_ORIGINAL): struct bpf_sock_tuple's ipv4 (12) or ipv6 (36) half. */
function parseTuple(t: Uint8Array, protonum: number, copy: boolean): CtTuple | number {
  if (protonum !== IPPROTO_TCP && protonum !== IPPROTO_UDP) return -EPROTO;
  const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
  // A lookup only compares the addresses: views of the program's memory do (no garbage per run).
  const part = (a: number, b: number): Uint8Array => (copy ? t.slice(a, b) : t.subarray(a, b));
  if (t.length === 12)
    return {
      l3num: 2,
      protonum,
      src: part(0, 4),
      dst: part(4, 8),
      sport: dv.getUint16(8, false),
      dport: dv.getUint16(10, false),
    };
  if (t.length === 36)
    return {
      l3num: 10,
      protonum,
      src: part(0, 16),
      dst: part(16, 32),
      sport: dv.getUint16(32, false),
      dport: dv.getUint16(34, false),
    };
  return -EAFNOSUPPORT;
}

/**
 * The zone of a 16-byte opts: ct_zone_dir 0 means NF_CT_DEFAULT_ZONE_DIR, and the kernel writes that
 * back into the program's struct.
 */
function zoneOf(o: CtOpts, zoneId: number, zoneDir: number): { id: number; dir: number } {
  if (o.size !== NF_BPF_CT_OPTS_SZ) return { id: 0, dir: NF_CT_DEFAULT_ZONE_DIR };
  if (zoneDir === 0) {
    o.bytes[12] = NF_CT_DEFAULT_ZONE_DIR;
    return { id: zoneId, dir: NF_CT_DEFAULT_ZONE_DIR };
  }
  return { id: zoneId, dir: zoneDir };
}

/** A program's view of the options argument (r4, r5 = opts__sz). */
function optsArg(M: Machine, pc: number, what: string): CtOpts {
  const size = M.argLo(5) >>> 0;
  const bytes = M.argMem(pc, 4, size, true, `${what} opts`);
  return { bytes, dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), size };
}

/** Each entry's region label, made once (formatting addresses was most of a tracked lookup run). */
const labels = new WeakMap<ConntrackEntry, string>();

function regionLabel(e: ConntrackEntry): string {
  let l = labels.get(e);
  if (l === undefined) {
    const t = e.orig;
    l = `nf_conn (${t.protonum === IPPROTO_TCP ? 'tcp' : 'udp'} ${ctAddrText(t.src)}:${t.sport} → ${ctAddrText(t.dst)}:${t.dport})`;
    labels.set(e, l);
  }
  return l;
}

/** The program's pointer to an entry: a region over its nf_conn image, dropped at the run's end. */
function acquire(M: Machine, e: ConntrackEntry): number {
  const r = M.allocRegion('kernelObject', e.image, true, regionLabel(e), e);
  M.kernelRefs.push(r);
  return M.ptr(r);
}

/** Drops the program's reference (bpf_ct_release, or a failed insert freeing the allocation). */
function release(M: Machine, r: Region): void {
  const i = M.kernelRefs.indexOf(r);
  if (i >= 0) M.kernelRefs.splice(i, 1);
  M.freeRegion(r);
}

/** The nf_conn argument i: a pointer an acquiring kfunc returned, at offset 0 (trusted args). */
function connArg(M: Machine, pc: number, i: number, what: string): { r: Region; e: ConntrackEntry } {
  const r = M.R[M.argHi(i)];
  if (r === undefined || r.kind !== 'kernelObject' || M.argLo(i) !== ADDR_BASE)
    M.fault(
      pc,
      `${what}: argument ${i} is not an nf_conn a conntrack kfunc returned (released, NULL or moved; the verifier rejects the program)`,
    );
  return { r, e: r.ref as ConntrackEntry };
}

/** bpf_ct_opts_result: NULL with opts->error set (when opts reaches it) for an errno. */
function result(M: Machine, o: CtOpts, v: ConntrackEntry | number): number {
  if (typeof v !== 'number') return acquire(M, v);
  if (o.size >= OPTS_ERROR_END) o.dv.setInt32(4, v, true);
  return M.ptr(undefined);
}

/** __bpf_nf_ct_lookup: the tuple in the caller's netns (BPF_F_CURRENT_NETNS) and zone. */
function ctLookup(M: Machine, pc: number, what: string): number {
  const o = optsArg(M, pc, what);
  const tuple = M.argMem(pc, 2, M.argLo(3) >>> 0, false, `${what} bpf_tuple`);
  const v = ((): ConntrackEntry | number => {
    const opts = readOpts(o);
    if (typeof opts === 'number') return opts;
    if (opts.l4proto !== IPPROTO_TCP && opts.l4proto !== IPPROTO_UDP) return -EPROTO;
    if (opts.netnsId < -1) return -EINVAL;
    const t = parseTuple(tuple, opts.l4proto, false);
    if (typeof t === 'number') return t;
    // get_net_ns_by_id: the simulated system is one namespace without peer ids.
    if (opts.netnsId >= 0) return -ENONET;
    const zone = zoneOf(o, opts.zoneId, opts.zoneDir);
    const hit = M.system.conntrack.find(t, zone.id, zone.dir);
    if (!hit) return -ENOENT;
    o.bytes[9] = hit.dir; // opts->dir = NF_CT_DIRECTION(hash)
    return hit.entry;
  })();
  return result(M, o, v);
}

/** __bpf_nf_ct_alloc_entry with the kfuncs' 10 s timeout: a new, unconfirmed entry. */
function ctAlloc(M: Machine, pc: number, what: string): number {
  const o = optsArg(M, pc, what);
  const tuple = M.argMem(pc, 2, M.argLo(3) >>> 0, false, `${what} bpf_tuple`);
  const v = ((): ConntrackEntry | number => {
    const opts = readOpts(o);
    if (typeof opts === 'number') return opts;
    if (opts.netnsId < -1) return -EINVAL;
    const t = parseTuple(tuple, opts.l4proto, true);
    if (typeof t === 'number') return t;
    if (opts.netnsId >= 0) return -ENONET;
    const zone = zoneOf(o, opts.zoneId, opts.zoneDir);
    // __nf_ct_set_timeout(ct, 10 * HZ) on an unconfirmed entry: a relative timeout.
    return M.system.conntrack.alloc(t, zone.id, zone.dir, 10 * CT_HZ);
  })();
  return result(M, o, v);
}

/** __nf_ct_set_timeout: capped at INT_MAX jiffies; absolute once the entry is confirmed. */
function setCtTimeout(table: ConntrackTable, e: ConntrackEntry, jiffies: number): void {
  const t = Math.min(jiffies, INT_MAX);
  e.timeout = e.confirmed ? table.jiffies() + t : t;
}

/** nf_ct_change_status_common. */
function changeStatus(e: ConntrackEntry, status: number): number {
  const d = (e.status ^ status) >>> 0;
  if (d & IPS.SEQ_ADJUST!) return -EINVAL; // unchangeable
  if (d & IPS.SEEN_REPLY! && !(status & IPS.SEEN_REPLY!)) return -EBUSY; // cannot be unset
  if (d & IPS.ASSURED! && !(status & IPS.ASSURED!)) return -EBUSY;
  // __nf_ct_change_status(ct, status, ~status) over the changeable bits below __IPS_MAX_BIT.
  const changeable = 0xffff & ~IPS_UNCHANGEABLE_MASK;
  e.status = ((e.status & ~changeable) | (status & changeable)) >>> 0;
  return 0;
}

/** enum nf_nat_manip_type */
const NF_NAT_MANIP_SRC = 0;
const ENOMEM = 12;

/**
 * bpf_ct_set_nat_info → nf_nat_setup_info with a range of one address (and one port when port > 0):
 * the tuple the reply would invert to gets the new source (SNAT) or destination (DNAT), the entry's
 * reply tuple becomes its inverse (nf_conntrack_alter_reply) with IPS_SRC/DST_NAT, then *_NAT_DONE.
 * A second setup of the same kind is the kernel's NF_DROP (-ENOMEM). Not modelled: get_unique_tuple
 * choosing another port when the asked tuple is already in use.
 */
function setNatInfo(e: ConntrackEntry, addr: Uint8Array, port: number, manip: number): number {
  if (e.orig.l3num !== 2 && e.orig.l3num !== 10) return -EINVAL;
  // A confirmed entry is left alone (NF_ACCEPT); the verifier only passes new allocations anyway.
  if (e.confirmed) return 0;
  const src = manip === NF_NAT_MANIP_SRC;
  const done = src ? IPS.SRC_NAT_DONE! : IPS.DST_NAT_DONE!;
  if (e.status & done) return -ENOMEM; // WARN_ON(nf_nat_initialized(ct, maniptype)): NF_DROP
  const curr = invertTuple(e.reply);
  const a = addr.slice(0, curr.src.length);
  const p = port > 0 ? port & 0xffff : undefined;
  const next: CtTuple = src
    ? { ...curr, src: a, sport: p ?? curr.sport }
    : { ...curr, dst: a, dport: p ?? curr.dport };
  const same =
    next.sport === curr.sport &&
    next.dport === curr.dport &&
    next.src.every((x, i) => x === curr.src[i]) &&
    next.dst.every((x, i) => x === curr.dst[i]);
  if (!same) {
    e.reply = invertTuple(next);
    e.status = (e.status | (src ? IPS.SRC_NAT! : IPS.DST_NAT!)) >>> 0;
  }
  e.status = (e.status | done) >>> 0;
  return 0;
}

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
const DYNPTR_IMPLEMENTATIONS: Record<string, KfuncFn> = {
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

const IMPLEMENTATIONS: Record<string, KfuncFn> = {
  bpf_xdp_ct_lookup: (M, pc) => ctLookup(M, pc, 'bpf_xdp_ct_lookup'),
  bpf_xdp_ct_alloc: (M, pc) => ctAlloc(M, pc, 'bpf_xdp_ct_alloc'),
  bpf_ct_insert_entry(M, pc) {
    const { r, e } = connArg(M, pc, 1, 'bpf_ct_insert_entry');
    const table = M.system.conntrack;
    if (!e.confirmed) e.timeout = (e.timeout + table.jiffies()) >>> 0;
    e.status = (e.status | IPS_CONFIRMED) >>> 0;
    if (table.insert(e) < 0) {
      release(M, r); // nf_conntrack_free
      return M.ptr(undefined);
    }
    return M.ptr(r); // the same object, now an nf_conn the program must release
  },
  bpf_ct_release(M, pc) {
    release(M, connArg(M, pc, 1, 'bpf_ct_release').r);
    return M.ret(0);
  },
  bpf_ct_set_timeout(M, pc) {
    const { e } = connArg(M, pc, 1, 'bpf_ct_set_timeout');
    setCtTimeout(M.system.conntrack, e, ConntrackTable.msecsToJiffies(M.argLo(2)));
    return M.ret(0);
  },
  bpf_ct_change_timeout(M, pc) {
    const { e } = connArg(M, pc, 1, 'bpf_ct_change_timeout');
    // __nf_ct_change_timeout
    if (e.status & IPS_FIXED_TIMEOUT) return M.ret(-EPERM);
    setCtTimeout(M.system.conntrack, e, ConntrackTable.msecsToJiffies(M.argLo(2)));
    return M.ret(e.status & IPS_DYING ? -ETIME : 0);
  },
  bpf_ct_set_nat_info(M, pc) {
    const { e } = connArg(M, pc, 1, 'bpf_ct_set_nat_info');
    const addr = M.argMem(pc, 2, 16, false, 'bpf_ct_set_nat_info addr');
    return M.ret(setNatInfo(e, addr, M.argLo(3) | 0, M.argLo(4) >>> 0));
  },
  bpf_ct_set_status: (M, pc) => M.ret(changeStatus(connArg(M, pc, 1, 'bpf_ct_set_status').e, M.argLo(2))),
  bpf_ct_change_status: (M, pc) =>
    M.ret(changeStatus(connArg(M, pc, 1, 'bpf_ct_change_status').e, M.argLo(2))),
  ...DYNPTR_IMPLEMENTATIONS,
};

/** The VM's kfuncs in a fixed order: a kfunc's id (what the loader writes into imm) is its index + 1. */
const NAMES = Object.keys(IMPLEMENTATIONS);

/** The id of kfunc `name` in the machine's table, or undefined when the VM does not run it. */
export function vmKfuncId(name: string): number | undefined {
  const i = NAMES.indexOf(name);
  return i < 0 ? undefined : i + 1;
}

/** Number of arguments kfunc `id` takes (its prototype in the verifier's table). */
export function vmKfuncArgs(id: number): number {
  const name = NAMES[id - 1];
  return (name !== undefined ? kfuncProto(name)?.args.length : undefined) ?? 5;
}

/** Kfunc implementations indexed by id (Machine.kfuncs). */
export function kfuncTable(): (KfuncFn | undefined)[] {
  const t: (KfuncFn | undefined)[] = [undefined];
  for (const name of NAMES) t.push(IMPLEMENTATIONS[name]);
  return t;
}

/** Why a call to kfunc `name` cannot be loaded (the kernel's refusal or the VM's), or undefined. */
export function kfuncRefusal(name: string): string | undefined {
  if (isDevBoundKfunc(name))
    return `kfunc call to '${name}': only a device-bound program may make it, the kernel refuses this one (EINVAL; XDP Lab programs are never device-bound)`;
  if (vmKfuncId(name) !== undefined) return undefined;
  if (!kfuncProto(name) && !isObjKfunc(name))
    return `kfunc call to '${name}': not a kfunc of Linux 6.18 for XDP programs (libbpf: not found in kernel or module BTFs)`;
  return `kfunc call to '${name}' is not supported by the XDP Lab VM`;
}
