// The kfuncs the VM runs, as Linux 6.18 does (net/netfilter/nf_conntrack_bpf.c, nf_nat_bpf.c):
// conntrack lookup, allocation, insertion, release, timeout, status and NAT, over the system's table
// (xdp/conntrack.ts); the xdp dynptr kfuncs are in dynptrKfuncs.ts. Prototypes are the verifier's table.
import { isDevBoundKfunc, kfuncProto } from '../verifier/kfuncs';
import { isObjKfunc } from '../verifier/kptr';
import type { ConntrackEntry } from '../xdp/conntrack';
import {
  ConntrackTable,
  CT_HZ,
  IPS,
  IPS_CONFIRMED,
  IPS_DYING,
  IPS_FIXED_TIMEOUT,
  NF_CT_DEFAULT_ZONE_DIR,
} from '../xdp/conntrack';
import type { CtTuple } from '../xdp/nfConn';
import { invertTuple, IPPROTO_TCP, IPPROTO_UDP } from '../xdp/nfConn';
import type { DirectKfuncFn, KfuncFn, Machine } from './machine';
import { ADDR_BASE } from './memory';
import type { Region } from './memory';
import { DYNPTR_IMPLEMENTATIONS } from './dynptrKfuncs';
import { acquire, connArg, connOf, isHeldConn, notConn, release } from './ctRefs';

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
/** The changeable bits below __IPS_MAX_BIT (nf_ct_change_status_common's __nf_ct_change_status). */
const IPS_CHANGEABLE = 0xffff & ~IPS_UNCHANGEABLE_MASK;
const IPS_SEQ_ADJUST = IPS.SEQ_ADJUST!;
const IPS_SEEN_REPLY = IPS.SEEN_REPLY!;
const IPS_ASSURED = IPS.ASSURED!;

/**
 * struct bpf_ct_opts of the conntrack kfunc being called, read once as __bpf_nf_ct_lookup and
 * __bpf_nf_ct_alloc_entry READ_ONCE it: where it lies (its region's bytes at `at`), its size
 * (opts__sz) and its fields. One object, reused by every call (kfuncs never nest).
 */
class CtOpts {
  u8: Uint8Array = new Uint8Array(0);
  dv: DataView = new DataView(this.u8.buffer);
  at = 0;
  size = 0;
  netnsId = 0;
  l4proto = 0;
  zoneId = 0;
  zoneDir = 0;
}
const OPTS = new CtOpts();

/**
 * The offset of argument i's `size` bytes in its region (M.R[M.argHi(i)]), bounds-checked as
 * M.argMem checks them — which takes the uncommon cases (a NULL of size 0, the first write to the
 * packet, a fault naming `what` and `part`) without a subarray or a string on the common one.
 */
function argAt(
  M: Machine,
  pc: number,
  i: number,
  size: number,
  write: boolean,
  what: string,
  part: string,
): number {
  const m = M.R[M.argHi(i)];
  const a = M.argLo(i) - ADDR_BASE;
  if (m === undefined || size === 0 || a < m.lo || a + size > (write ? m.whi : m.hi))
    M.argMem(pc, i, size, write, `${what} ${part}`);
  return a;
}

/**
 * Reads the options argument (r4, r5 = opts__sz) into OPTS: 0, or the errno of the checks every
 * conntrack kfunc makes first (the size, then the reserved bytes and a zone in the old struct).
 */
function readOpts(M: Machine, pc: number, what: string): number {
  const o = OPTS;
  const size = M.argLo(5) >>> 0;
  o.at = argAt(M, pc, 4, size, true, what, 'opts');
  const m = M.R[M.argHi(4)] as Region;
  o.u8 = m.u8;
  o.dv = m.dv;
  o.size = size;
  if (size !== NF_BPF_CT_OPTS_SZ && size !== NF_BPF_CT_OPTS_SZ_OLD) return -EINVAL;
  const u8 = o.u8;
  const at = o.at;
  o.netnsId = o.dv.getInt32(at, true);
  o.l4proto = u8[at + 8] as number;
  o.zoneId = o.dv.getUint16(at + 10, true);
  o.zoneDir = 0;
  if (size === NF_BPF_CT_OPTS_SZ) {
    o.zoneDir = u8[at + 12] as number;
    if (u8[at + 13] || u8[at + 14] || u8[at + 15]) return -EINVAL;
  } else if (o.zoneId) return -EINVAL; // a zone needs the 16-byte struct
  return 0;
}

/**
 * The zone of the options: the 12-byte struct has none (the default zone); in the 16-byte one
 * ct_zone_dir 0 means NF_CT_DEFAULT_ZONE_DIR, and the kernel writes that back into the struct.
 */
function resolveZone(o: CtOpts): void {
  if (o.size !== NF_BPF_CT_OPTS_SZ) {
    o.zoneId = 0;
    o.zoneDir = NF_CT_DEFAULT_ZONE_DIR;
  } else if (o.zoneDir === 0) {
    o.u8[o.at + 12] = NF_CT_DEFAULT_ZONE_DIR;
    o.zoneDir = NF_CT_DEFAULT_ZONE_DIR;
  }
}

/**
 * bpf_nf_ct_tuple_parse (IP_CT_DIR_ORIGINAL) for a new entry: struct bpf_sock_tuple's ipv4 (12)
 * or ipv6 (36) half at b[at..at+len), copied (the entry outlives the program's memory).
 */
function parseTuple(b: Uint8Array, at: number, len: number, protonum: number): CtTuple | number {
  if (protonum !== IPPROTO_TCP && protonum !== IPPROTO_UDP) return -EPROTO;
  const port = (o: number): number => ((b[at + o] as number) << 8) | (b[at + o + 1] as number);
  if (len === 12)
    return {
      l3num: 2,
      protonum,
      src: b.slice(at, at + 4),
      dst: b.slice(at + 4, at + 8),
      sport: port(8),
      dport: port(10),
    };
  if (len === 36)
    return {
      l3num: 10,
      protonum,
      src: b.slice(at, at + 16),
      dst: b.slice(at + 16, at + 32),
      sport: port(32),
      dport: port(34),
    };
  return -EAFNOSUPPORT;
}

/** bpf_ct_opts_result for an errno: NULL, with opts->error set when the struct reaches it. */
function fail(M: Machine, o: CtOpts, errno: number): number {
  if (o.size >= OPTS_ERROR_END) o.dv.setInt32(o.at + 4, errno, true);
  return M.ptr(undefined);
}

/**
 * __bpf_nf_ct_lookup: the tuple in the caller's netns (BPF_F_CURRENT_NETNS) and zone, called from
 * the program's code with its argument registers (r2 the tuple, r3 its size, r4 the opts, r5
 * opts__sz). The common call — an IPv4 tuple, a 16-byte opts — goes to ctLookupV4 with the
 * pointers as offsets; anything else, or what ctLookupV4 declines, takes ctLookupChecked
 * (arguments through M.A), which makes every check in the kernel's order.
 *
 * Why the split (issue 16.1): V8 inlines into the program's code only up to a budget of bytecode
 * (--max-inlined-bytecode-size-cumulative, 920), and a kfunc inlined halfway leaves calls to its
 * own callees there. This wrapper is small enough to be inlined whole; ctLookupV4 is compiled on
 * its own, with what it calls inlined into it.
 */
function ctLookupDirect(
  M: Machine,
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
): number {
  const found =
    a3l === 12 && a5l === NF_BPF_CT_OPTS_SZ ? ctLookupV4(M, a2h, a2l - ADDR_BASE, a4h, a4l - ADDR_BASE) : -1;
  if (found > 0) return ADDR_BASE; // (M.rh: the entry's region)
  if (found === 0) return 0;
  return ctLookupOther(M, pc, a1h, a1l, a2h, a2l, a3h, a3l, a4h, a4l, a5h, a5l);
}

/**
 * ctLookupDirect's common call: the 12-byte tuple at offset `ta` of region `th`, the 16-byte opts
 * at `oa` of region `oh`. 1: found (r0 the entry's nf_conn, M.rh its region), 0: NULL with
 * opts->error -ENOENT, -1: not the common call (out of bounds, netns_id not -1, a protocol other
 * than TCP/UDP, reserved bytes set), nothing written.
 */
function ctLookupV4(M: Machine, th: number, ta: number, oh: number, oa: number): number {
  const om = M.R[oh];
  const tm = M.R[th];
  if (
    om === undefined ||
    tm === undefined ||
    oa < om.lo ||
    oa + NF_BPF_CT_OPTS_SZ > om.whi ||
    ta < tm.lo ||
    ta + 12 > tm.hi
  )
    return -1;
  const o = om.dv;
  // Two words, not five reads: l4proto, dir, ct_zone_id at +8; ct_zone_dir, reserved[3] at +12.
  const w8 = o.getInt32(oa + 8, true);
  const w12 = o.getInt32(oa + 12, true);
  const l4proto = w8 & 0xff;
  if (
    o.getInt32(oa, true) !== -1 ||
    (l4proto !== IPPROTO_TCP && l4proto !== IPPROTO_UDP) ||
    (w12 & 0xffffff00) !== 0
  )
    return -1;
  // The reserved bytes are zero: the word is ct_zone_dir, 0 meaning the default (written back).
  if (w12 === 0) o.setUint8(oa + 12, NF_CT_DEFAULT_ZONE_DIR);
  const table = M.system.conntrack;
  const e = table.findV4(tm.dv, ta, l4proto, w8 >>> 16, w12 === 0 ? NF_CT_DEFAULT_ZONE_DIR : w12);
  if (e === undefined) {
    o.setInt32(oa + 4, -ENOENT, true); // bpf_ct_opts_result
    M.rh = 0;
    return 0;
  }
  o.setUint8(oa + 9, table.foundDir); // opts->dir = NF_CT_DIRECTION(hash)
  acquire(M, e);
  return 1;
}

/** ctLookupDirect's uncommon calls: the arguments into M.A, then every check (ctLookupChecked). */
function ctLookupOther(
  M: Machine,
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
): number {
  const A = M.A;
  A[0] = a1h;
  A[1] = a1l;
  A[2] = a2h;
  A[3] = a2l;
  A[4] = a3h;
  A[5] = a3l;
  A[6] = a4h;
  A[7] = a4l;
  A[8] = a5h;
  A[9] = a5l;
  return ctLookupChecked(M, pc, 'bpf_xdp_ct_lookup');
}

/** ctLookupDirect with the arguments in M.A (Machine.kfunc's calls). */
function ctLookup(M: Machine, pc: number): number {
  const A = M.A;
  return ctLookupDirect(
    M,
    pc,
    A[0] as number,
    A[1] as number,
    A[2] as number,
    A[3] as number,
    A[4] as number,
    A[5] as number,
    A[6] as number,
    A[7] as number,
    A[8] as number,
    A[9] as number,
  );
}

/** ctLookup with every check, in the kernel's order (sizes, opts, protocol, netns, tuple). */
function ctLookupChecked(M: Machine, pc: number, what: string): number {
  const o = OPTS;
  const err = readOpts(M, pc, what);
  const len = M.argLo(3) >>> 0;
  const at = argAt(M, pc, 2, len, false, what, 'bpf_tuple');
  if (err) return fail(M, o, err);
  if (o.l4proto !== IPPROTO_TCP && o.l4proto !== IPPROTO_UDP) return fail(M, o, -EPROTO);
  if (o.netnsId < -1) return fail(M, o, -EINVAL);
  // bpf_nf_ct_tuple_parse: only the two halves of struct bpf_sock_tuple.
  if (len !== 12 && len !== 36) return fail(M, o, -EAFNOSUPPORT);
  // get_net_ns_by_id: the simulated system is one namespace without peer ids.
  if (o.netnsId >= 0) return fail(M, o, -ENONET);
  resolveZone(o);
  const table = M.system.conntrack;
  const tuple = (M.R[M.argHi(2)] as Region).dv;
  const e = table.findSockTuple(tuple, at, len, o.l4proto, o.zoneId, o.zoneDir);
  if (!e) return fail(M, o, -ENOENT);
  o.u8[o.at + 9] = table.foundDir; // opts->dir = NF_CT_DIRECTION(hash)
  return acquire(M, e);
}

/** __bpf_nf_ct_alloc_entry with the kfuncs' 10 s timeout: a new, unconfirmed entry. */
function ctAlloc(M: Machine, pc: number, what: string): number {
  const o = OPTS;
  const err = readOpts(M, pc, what);
  const len = M.argLo(3) >>> 0;
  const at = argAt(M, pc, 2, len, false, what, 'bpf_tuple');
  if (err) return fail(M, o, err);
  if (o.netnsId < -1) return fail(M, o, -EINVAL);
  const t = parseTuple((M.R[M.argHi(2)] as Region).u8, at, len, o.l4proto);
  if (typeof t === 'number') return fail(M, o, t);
  if (o.netnsId >= 0) return fail(M, o, -ENONET);
  resolveZone(o);
  // __nf_ct_set_timeout(ct, 10 * HZ) on an unconfirmed entry: a relative timeout.
  return acquire(M, M.system.conntrack.alloc(t, o.zoneId, o.zoneDir, 10 * CT_HZ));
}

/** __nf_ct_set_timeout: capped at INT_MAX jiffies; absolute once the entry is confirmed. */
function setCtTimeout(table: ConntrackTable, e: ConntrackEntry, jiffies: number): void {
  const t = Math.min(jiffies, INT_MAX);
  e.timeout = e.confirmed ? table.jiffies() + t : t;
}

/**
 * The last msecs bpf_ct_change_timeout converted and its jiffies, capped at INT_MAX as
 * __nf_ct_set_timeout caps them: a program passes the same constant run after run.
 */
let lastMsecs = 0;
let lastJiffies = Math.min(ConntrackTable.msecsToJiffies(0), INT_MAX);

/**
 * __nf_ct_change_timeout (the status read once: setting the timeout leaves it alone); r0. The
 * common call — a confirmed entry, neither FIXED_TIMEOUT nor DYING, the msecs of the last call —
 * in a few bytecodes (V8 inlines it into the program's code); the rest in changeTimeoutOther.
 */
function changeTimeout(M: Machine, e: ConntrackEntry, msecs: number): number {
  const status = e.statusBits;
  if ((status & (IPS_FIXED_TIMEOUT | IPS_DYING | IPS_CONFIRMED)) !== IPS_CONFIRMED || msecs !== lastMsecs)
    return changeTimeoutOther(M, e, status, msecs);
  // (| 0: the u32 sum's bits as an int32, not a heap number handed to the setter.)
  e.timeout = (M.system.conntrack.jiffiesS32() + lastJiffies) | 0;
  return M.ret(0);
}

/** changeTimeout's other cases, in __nf_ct_change_timeout's order. */
function changeTimeoutOther(M: Machine, e: ConntrackEntry, status: number, msecs: number): number {
  if (status & IPS_FIXED_TIMEOUT) return M.ret(-EPERM);
  if (msecs !== lastMsecs) {
    lastJiffies = Math.min(ConntrackTable.msecsToJiffies(msecs), INT_MAX);
    lastMsecs = msecs;
  }
  e.timeout = status & IPS_CONFIRMED ? (M.system.conntrack.jiffiesS32() + lastJiffies) | 0 : lastJiffies;
  return M.ret(status & IPS_DYING ? -ETIME : 0);
}

/** nf_ct_change_status_common, its checks as three bit tests (one function V8 inlines whole). */
function changeStatus(e: ConntrackEntry, status: number): number {
  const old = e.statusBits;
  const d = old ^ status;
  if (d & IPS_SEQ_ADJUST) return -EINVAL; // unchangeable
  // SEEN_REPLY and ASSURED cannot be unset: a bit that differs and is clear in the new status.
  if (d & ~status & (IPS_SEEN_REPLY | IPS_ASSURED)) return -EBUSY;
  // __nf_ct_change_status(ct, status, ~status) over the changeable bits below __IPS_MAX_BIT.
  e.status = (old & ~IPS_CHANGEABLE) | (status & IPS_CHANGEABLE);
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

const IMPLEMENTATIONS: Record<string, KfuncFn> = {
  bpf_xdp_ct_lookup: ctLookup,
  bpf_xdp_ct_alloc: (M, pc) => ctAlloc(M, pc, 'bpf_xdp_ct_alloc'),
  bpf_ct_insert_entry(M, pc) {
    const r = connArg(M, pc, 1, 'bpf_ct_insert_entry');
    const e = r.ref as ConntrackEntry;
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
    release(M, connArg(M, pc, 1, 'bpf_ct_release'));
    return M.ret(0);
  },
  bpf_ct_set_timeout(M, pc) {
    const e = connOf(M, pc, 'bpf_ct_set_timeout');
    setCtTimeout(M.system.conntrack, e, ConntrackTable.msecsToJiffies(M.argLo(2)));
    return M.ret(0);
  },
  bpf_ct_change_timeout: (M, pc) => changeTimeout(M, connOf(M, pc, 'bpf_ct_change_timeout'), M.argLo(2)),
  bpf_ct_set_nat_info(M, pc) {
    const e = connOf(M, pc, 'bpf_ct_set_nat_info');
    const addr = M.argMem(pc, 2, 16, false, 'bpf_ct_set_nat_info addr');
    return M.ret(setNatInfo(e, addr, M.argLo(3) | 0, M.argLo(4) >>> 0));
  },
  bpf_ct_set_status: (M, pc) => M.ret(changeStatus(connOf(M, pc, 'bpf_ct_set_status'), M.argLo(2))),
  bpf_ct_change_status: (M, pc) => M.ret(changeStatus(connOf(M, pc, 'bpf_ct_change_status'), M.argLo(2))),
  ...DYNPTR_IMPLEMENTATIONS,
};

/**
 * Register-argument forms of the kfuncs a tracked lookup's run calls (CompileOptions.kfuncDirect):
 * the same code as IMPLEMENTATIONS' without the trip through M.A.
 */
const DIRECT: Record<string, DirectKfuncFn> = {
  bpf_xdp_ct_lookup: ctLookupDirect,
  // As ctLookupDirect: wrappers small enough to be inlined whole into the program's code, the
  // work in a function of its own (the nf_conn pointer's low word passed as "at offset 0").
  bpf_ct_release: (M, pc, a1h, a1l) => ctRelease(M, pc, a1h, a1l === ADDR_BASE),
  bpf_ct_change_timeout: (M, pc, a1h, a1l, _a2h, a2l) => ctChangeTimeout(M, pc, a1h, a1l === ADDR_BASE, a2l),
  bpf_ct_change_status: (M, pc, a1h, a1l, _a2h, a2l) => ctChangeStatus(M, pc, a1h, a1l === ADDR_BASE, a2l),
};

/** bpf_ct_release of the nf_conn in region `hi` (`at0`: the pointer is at its offset 0); r0. */
function ctRelease(M: Machine, pc: number, hi: number, at0: boolean): number {
  const r = M.R[hi];
  if (!isHeldConn(r, at0)) notConn(M, pc, 1, 'bpf_ct_release');
  release(M, r as Region);
  return M.ret(0);
}

/** bpf_ct_change_timeout of the nf_conn in region `hi`, as ctRelease takes it; r0. */
function ctChangeTimeout(M: Machine, pc: number, hi: number, at0: boolean, msecs: number): number {
  const r = M.R[hi];
  if (!isHeldConn(r, at0)) notConn(M, pc, 1, 'bpf_ct_change_timeout');
  return changeTimeout(M, (r as Region).ref as ConntrackEntry, msecs);
}

/** bpf_ct_change_status of the nf_conn in region `hi`, as ctRelease takes it; r0. */
function ctChangeStatus(M: Machine, pc: number, hi: number, at0: boolean, status: number): number {
  const r = M.R[hi];
  if (!isHeldConn(r, at0)) notConn(M, pc, 1, 'bpf_ct_change_status');
  return M.ret(changeStatus((r as Region).ref as ConntrackEntry, status));
}

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

const SHARED_TABLE = kfuncTable();

/**
 * The implementation of kfunc `id` for the compiler's direct calls (CompileOptions.kfuncImpl: a
 * call site per kfunc, as the kernel's fixup points a kfunc call at the function's own address).
 */
export const kfuncImpl = (id: number): KfuncFn | undefined => SHARED_TABLE[id];

const DIRECT_TABLE: (DirectKfuncFn | undefined)[] = [undefined, ...NAMES.map((name) => DIRECT[name])];

/**
 * Kfunc `id` returns an acquired kernel object or NULL (CompileOptions.kfuncReturnsObject): the
 * verifier's table says KF_ACQUIRE (nf_conntrack_bpf.c's nf_conn kfuncs); the VM gives such an
 * object a region of its own (acquire above), never the context or the packet.
 */
export const kfuncReturnsObject = (id: number): boolean => {
  const name = NAMES[id - 1];
  return name !== undefined && kfuncProto(name)?.ret === 'acquire';
};

/** The register-argument form of kfunc `id`, when it has one (CompileOptions.kfuncDirect). */
export const kfuncDirect = (id: number): DirectKfuncFn | undefined => DIRECT_TABLE[id];

/** Why a call to kfunc `name` cannot be loaded (the kernel's refusal or the VM's), or undefined. */
export function kfuncRefusal(name: string): string | undefined {
  if (isDevBoundKfunc(name))
    return `kfunc call to '${name}': only a device-bound program may make it, the kernel refuses this one (EINVAL; XDP Lab programs are never device-bound)`;
  if (vmKfuncId(name) !== undefined) return undefined;
  if (!kfuncProto(name) && !isObjKfunc(name))
    return `kfunc call to '${name}': not a kfunc of Linux 6.18 for XDP programs (libbpf: not found in kernel or module BTFs)`;
  return `kfunc call to '${name}' is not supported by the XDP Lab VM`;
}
