// The conntrack table the conntrack kfuncs (vm/kfuncs.ts) look into: entries as struct nf_conn
// images (nfConn.ts), found by either direction's tuple and zone as nf_conntrack_find_get does (the
// hash: ctHash.ts), inserted under nf_conntrack_hash_check_insert's rule, and the jiffies clock.
import { FrameError, parseIpv4, parseIpv6 } from '../packet/frameBuilder';
import type { CtTuple, NfConnFields, NfConnLayout } from './nfConn';
import { NF_CONN_6_18, invertTuple, nfConnImage, writeReplyTuple } from './nfConn';
import { CtHash } from './ctHash';
import type { Region } from '../vm/memory';

/** enum ip_conntrack_status (uapi nf_conntrack_common.h), the bits a program or a scenario names. */
export const IPS: Readonly<Record<string, number>> = {
  EXPECTED: 1 << 0,
  SEEN_REPLY: 1 << 1,
  ASSURED: 1 << 2,
  CONFIRMED: 1 << 3,
  SRC_NAT: 1 << 4,
  DST_NAT: 1 << 5,
  SEQ_ADJUST: 1 << 6,
  SRC_NAT_DONE: 1 << 7,
  DST_NAT_DONE: 1 << 8,
  DYING: 1 << 9,
  FIXED_TIMEOUT: 1 << 10,
  TEMPLATE: 1 << 11,
  UNTRACKED: 1 << 12,
  HELPER: 1 << 13,
  OFFLOAD: 1 << 14,
  HW_OFFLOAD: 1 << 15,
};
export const IPS_CONFIRMED = 1 << 3;
export const IPS_DYING = 1 << 9;
export const IPS_FIXED_TIMEOUT = 1 << 10;

/** CONFIG_HZ of the kernel modelled (Linux 6.18 here: 250); ct->timeout counts jiffies. */
export const CT_HZ = 250;
/** MSEC_PER_SEC / HZ: milliseconds per jiffy (HZ divides 1000). */
const MSEC_PER_JIFFY = 1000 / CT_HZ;
/** INITIAL_JIFFIES (include/linux/jiffies.h): jiffies start 5 minutes before wrapping. */
const INITIAL_JIFFIES = -300 * CT_HZ;

/** The default zone direction (NF_CT_DEFAULT_ZONE_DIR = ORIG | REPL). */
export const NF_CT_DEFAULT_ZONE_DIR = 3;

/** A conntrack entry as a scenario (`conntrack: [...]`) or `run --conntrack FILE` gives it. */
export interface ConntrackSpec {
  proto: 'tcp' | 'udp';
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** Status bits: a number or names of enum ip_conntrack_status (default SEEN_REPLY, ASSURED). */
  status?: number | string[];
  mark?: number;
  /** Seconds until the entry expires (default: the kernel's established timeouts, 5 days / 120 s). */
  timeout?: number;
  /** Conntrack zone id (default 0), both directions. */
  zone?: number;
}

/** A bad conntrack entry: names the field. */
export class ConntrackError extends Error {}

/** One entry: its nf_conn image is what a program's pointer names (reads and mark writes go there). */
export class ConntrackEntry {
  image: Uint8Array;
  private dv: DataView;
  /**
   * The layout's status and timeout offsets, kept as numbers: a tracked lookup's run reads and
   * writes both (bpf_ct_change_status, bpf_ct_change_timeout), and layouts from different BTFs are
   * objects of different shapes (mark present or not), so `this.layout.status` was a polymorphic load.
   */
  private statusAt: number;
  private timeoutAt: number;
  /** The reply direction's tuple (the inverse of orig until NAT alters it). */
  private replyTuple: CtTuple;
  /** What a program's pointer to the entry is called in fault messages (vm/kfuncs.ts), made once. */
  regionLabel: string | undefined;
  /**
   * The VM's region over the image (vm/kfuncs.ts: kept between runs so a lookup allocates
   * nothing) and the references a running program holds (the kernel's refcount on ct_general).
   */
  vmRegion: Region | undefined;
  vmRefs = 0;
  /** In the VM's ring of entries whose region it keeps. */
  vmParked = false;
  /** The table's hash and this entry's index in it, once inserted (its nodes copy ct->timeout). */
  private hash: CtHash | undefined;
  private index = -1;
  constructor(
    private layout: NfConnLayout,
    readonly orig: CtTuple,
    fields: Omit<NfConnFields, 'orig'>,
  ) {
    this.replyTuple = fields.reply ?? invertTuple(orig);
    this.image = nfConnImage(layout, { ...fields, orig, reply: this.replyTuple });
    this.dv = new DataView(this.image.buffer);
    this.statusAt = layout.status;
    this.timeoutAt = layout.timeout;
  }
  get reply(): CtTuple {
    return this.replyTuple;
  }
  /** nf_conntrack_alter_reply: before the entry is inserted (NAT set up on a new allocation). */
  set reply(t: CtTuple) {
    this.replyTuple = t;
    writeReplyTuple(this.layout, this.image, t);
  }
  get status(): number {
    return this.dv.getUint32(this.statusAt, true);
  }
  set status(v: number) {
    this.dv.setInt32(this.statusAt, v | 0, true); // the u32's bits: no heap number made for it
  }
  /** ct->status as an int32 with the same bits (the kfuncs' bit tests: never a heap number). */
  get statusBits(): number {
    return this.dv.getInt32(this.statusAt, true);
  }
  get mark(): number {
    return this.layout.mark === undefined ? 0 : this.dv.getUint32(this.layout.mark, true);
  }
  get timeout(): number {
    return this.dv.getUint32(this.timeoutAt, true);
  }
  /**
   * ct->timeout is written here only (programs may write nf_conn's mark alone: the verifier's
   * nfConnWrite), so the copy the hash's nodes keep for expiry checks stays equal.
   */
  set timeout(v: number) {
    const w = v | 0; // the u32's bits as an int32: no heap number passed on
    this.dv.setInt32(this.timeoutAt, w, true);
    this.hash?.setTimeout(this.index, w);
  }
  /** In a table (inserted), not a bare allocation. */
  get inserted(): boolean {
    return this.index >= 0;
  }
  /** The entry is entry `index` of the table whose hash is `hash`. */
  attach(hash: CtHash, index: number): void {
    this.hash = hash;
    this.index = index;
  }
  get zoneId(): number {
    return this.layout.zone >= 0 ? this.dv.getUint16(this.layout.zone, true) : 0;
  }
  get zoneDir(): number {
    return this.layout.zone >= 0 ? (this.image[this.layout.zone + 3] as number) : NF_CT_DEFAULT_ZONE_DIR;
  }
  /** NAT altered the reply tuple (IPS_SRC_NAT or IPS_DST_NAT). */
  get natted(): boolean {
    return (this.status & (IPS.SRC_NAT! | IPS.DST_NAT!)) !== 0;
  }
  get confirmed(): boolean {
    return (this.status & IPS_CONFIRMED) !== 0;
  }
  /** Re-lays the image out (the table took the kernel BTF's layout), keeping every field. */
  relayout(layout: NfConnLayout): void {
    const f = {
      status: this.status,
      mark: this.mark,
      timeout: this.timeout,
      zoneId: this.zoneId,
      zoneDir: this.zoneDir,
    };
    this.layout = layout;
    this.image = nfConnImage(layout, { ...f, orig: this.orig, reply: this.replyTuple });
    this.dv = new DataView(this.image.buffer);
    this.statusAt = layout.status;
    this.timeoutAt = layout.timeout;
  }
}

/** nf_ct_zone_id: the zone's id in direction `dir` when the zone applies to it, else the default 0. */
const zoneIdIn = (id: number, zdir: number, dir: number): number => (zdir & (1 << dir) ? id : 0);

export class ConntrackTable {
  layout: NfConnLayout = NF_CONN_6_18;
  private readonly list: ConntrackEntry[] = [];
  /** Both directions of every entry (nf_conntrack_hash): a lookup probes a few slots. */
  private readonly hash = new CtHash();
  /** The direction the last find matched (IP_CT_DIR_ORIGINAL 0, IP_CT_DIR_REPLY 1). */
  foundDir = 0;
  /**
   * jiffies for the clock reading `jiffiesAt` (the clock stands still between runs' advances), as
   * an int32 (the u32's bits): past 2^31 a u32 is a heap number in V8, allocated at every return.
   */
  private jiffiesAt: bigint | undefined;
  private jiffiesNow = 0;
  /** clockStamp() when jiffiesNow was taken (-1: never). */
  private jiffiesStamp = -1;

  /**
   * `nowNs`: the system's virtual clock (bpf_ktime_get_ns's), read without advancing it;
   * `clockStamp`, when given, a number that changes whenever that clock does (BpfSystem's count of
   * its changes): jiffies() then compares it instead of two BigInts (a lookup's run asks twice).
   */
  constructor(
    private readonly nowNs: () => bigint,
    private readonly clockStamp?: () => number,
  ) {}

  /** nfct_time_stamp: (u32)jiffies. */
  jiffies(): number {
    return this.jiffiesS32() >>> 0;
  }

  /**
   * jiffies() as an int32 with the same bits, for the arithmetic modulo 2^32 of the lookup and
   * the timeout kfuncs ((s32)(ct->timeout - nfct_time_stamp), ct->timeout = jiffies + t).
   */
  jiffiesS32(): number {
    // The common case in a few bytecodes, so that V8 inlines it into a kfunc's call site: the
    // clock has not moved since the last reading (a lookup's run asks twice, the clock stands still).
    const stamp = this.clockStamp;
    if (stamp !== undefined && stamp() === this.jiffiesStamp) return this.jiffiesNow;
    return this.jiffiesRead();
  }

  /** jiffiesS32 when the clock may have moved: the count again from the clock's nanoseconds. */
  private jiffiesRead(): number {
    if (this.clockStamp !== undefined) this.jiffiesStamp = this.clockStamp();
    const ns = this.nowNs();
    if (ns !== this.jiffiesAt) {
      this.jiffiesNow = (INITIAL_JIFFIES + Number((ns * BigInt(CT_HZ)) / 1_000_000_000n)) | 0;
      this.jiffiesAt = ns;
    }
    return this.jiffiesNow;
  }

  /**
   * msecs_to_jiffies for HZ dividing 1000 (_msecs_to_jiffies: (m + MSEC_PER_SEC / HZ - 1) /
   * (MSEC_PER_SEC / HZ), round up), in integers: the quotient and a carry for a remainder (no
   * float division and Math.ceil on a tracked lookup's bpf_ct_change_timeout).
   */
  static msecsToJiffies(ms: number): number {
    const m = ms >>> 0;
    const q = (m / MSEC_PER_JIFFY) >>> 0;
    return q + (m - q * MSEC_PER_JIFFY !== 0 ? 1 : 0);
  }

  get entries(): readonly ConntrackEntry[] {
    return this.list;
  }

  /** Takes the nf_conn layout of the kernel BTF a program was loaded against. */
  setLayout(layout: NfConnLayout): void {
    if (layout.size === this.layout.size && layout.status === this.layout.status) return;
    this.layout = layout;
    for (const e of this.list) e.relayout(layout);
  }

  /** nf_ct_is_expired: (s32)(ct->timeout - nfct_time_stamp) <= 0. */
  expired(e: ConntrackEntry): boolean {
    return ((e.timeout - this.jiffies()) | 0) <= 0;
  }

  /**
   * nf_conntrack_find_get: the live entry one of whose directions is `t` in zone (id, dir); with the
   * direction it matched (IP_CT_DIR_ORIGINAL 0, IP_CT_DIR_REPLY 1). Like the kernel it hashes `t`
   * with the zone's original-direction id only, so a zone that applies to one direction alone finds
   * a reply tuple only when both directions' ids agree.
   */
  find(t: CtTuple, zoneId: number, zoneDir: number): { entry: ConntrackEntry; dir: number } | undefined {
    this.hash.keyFromTuple(t, zoneIdIn(zoneId, zoneDir, 0));
    const entry = this.lookup(zoneId, zoneDir);
    return entry && { entry, dir: this.foundDir };
  }

  /**
   * find() of struct bpf_sock_tuple's bytes `v[off..off+len)` (bpf_nf_ct_tuple_parse: 12 bytes for
   * IPv4, 36 for IPv6) with protocol `protonum`, as the conntrack kfuncs look up: nothing allocated;
   * the direction matched is `foundDir`. Undefined also for a length other than 12 or 36.
   */
  findSockTuple(
    v: DataView,
    off: number,
    len: number,
    protonum: number,
    zoneId: number,
    zoneDir: number,
  ): ConntrackEntry | undefined {
    if (len === 12) return this.findV4(v, off, protonum, zoneId, zoneDir);
    const zid = zoneIdIn(zoneId, zoneDir, 0);
    if (!this.hash.keyFromSockTuple(v, off, len, protonum, zid)) return undefined;
    return this.lookup(zoneId, zoneDir);
  }

  /**
   * findSockTuple of an IPv4 tuple (12 bytes at `v[off..]`) in one pass (CtHash.findV4: the key's
   * words read from the program's bytes, hashed and compared, no key filled): the conntrack kfuncs'
   * common lookup.
   */
  findV4(
    v: DataView,
    off: number,
    protonum: number,
    zoneId: number,
    zoneDir: number,
  ): ConntrackEntry | undefined {
    const n = this.hash.findV4(v, off, 2 | (protonum << 16), zoneId, zoneDir, this.jiffiesS32());
    if (n < 0) return undefined;
    this.foundDir = n & 1;
    return this.list[n >> 1];
  }

  /** ____nf_conntrack_find over the nodes of the hash's key, with nf_ct_key_equal's zone check. */
  private lookup(zoneId: number, zoneDir: number): ConntrackEntry | undefined {
    const h = this.hash;
    for (let n = h.first(); n >= 0; n = h.next()) {
      // Node n is direction n & 1 of entry n >> 1. Its key holds the hashed zone id;
      // nf_ct_zone_equal(ct, zone, NF_CT_DIRECTION(h)) wants the entry's zone id in that direction.
      const dir = n & 1;
      if (h.zid(n) !== zoneIdIn(zoneId, zoneDir, dir)) continue;
      // nf_ct_is_expired on the node's copy of ct->timeout (no walk to the entry's image).
      if (((h.timeout(n) - this.jiffies()) | 0) <= 0) continue;
      this.foundDir = dir;
      return this.list[n >> 1];
    }
    return undefined;
  }

  /**
   * nf_conntrack_hash_check_insert: -EEXIST (17) when either direction is already tracked (each
   * direction's tuple looked up under its own zone id); else both directions are hashed.
   */
  insert(e: ConntrackEntry): number {
    for (let dir = 0; dir < 2; dir++) {
      this.hash.keyFromTuple(dir === 0 ? e.orig : e.reply, zoneIdIn(e.zoneId, e.zoneDir, dir));
      if (this.lookup(e.zoneId, e.zoneDir)) return -17;
    }
    e.attach(this.hash, this.list.length);
    this.list.push(e);
    for (let dir = 0; dir < 2; dir++) {
      this.hash.keyFromTuple(dir === 0 ? e.orig : e.reply, zoneIdIn(e.zoneId, e.zoneDir, dir));
      this.hash.insert(e.timeout);
    }
    return 0;
  }

  /** A new, unconfirmed entry (nf_conntrack_alloc), outside the table until inserted. */
  alloc(orig: CtTuple, zoneId: number, zoneDir: number, timeoutJiffies: number): ConntrackEntry {
    return new ConntrackEntry(this.layout, orig, {
      status: 0,
      mark: 0,
      timeout: timeoutJiffies,
      zoneId,
      zoneDir,
    });
  }

  /** Adds a confirmed entry given by a scenario or a file; `where` names it in errors. */
  add(spec: ConntrackSpec, where: string): ConntrackEntry {
    const orig = specTuple(spec, where);
    let status = IPS.SEEN_REPLY! | IPS.ASSURED!;
    if (typeof spec.status === 'number') status = spec.status >>> 0;
    else if (Array.isArray(spec.status))
      status = spec.status.reduce((s, name) => {
        const bit = IPS[String(name).toUpperCase().replace(/^IPS_/, '')];
        if (bit === undefined)
          throw new ConntrackError(
            `${where}.status: '${name}' is not a conntrack status bit (${Object.keys(IPS).join(', ')})`,
          );
        return s | bit;
      }, 0);
    const seconds = spec.timeout ?? (orig.protonum === 6 ? 432000 : 120);
    const e = new ConntrackEntry(this.layout, orig, {
      status: status | IPS_CONFIRMED,
      mark: (spec.mark ?? 0) >>> 0,
      timeout: this.jiffies() + Math.round(seconds * CT_HZ),
      zoneId: spec.zone ?? 0,
      zoneDir: NF_CT_DEFAULT_ZONE_DIR,
    });
    if (this.insert(e) < 0)
      throw new ConntrackError(`${where}: the connection is already in the table (either direction)`);
    return e;
  }

  /** The entries as specs (for output after a run: status, mark, seconds left). */
  describe(): (ConntrackSpec & {
    status: number;
    mark: number;
    timeout: number;
    /** The reply tuple, when NAT made it other than the original's inverse. */
    reply?: { src: string; sport: number; dst: string; dport: number };
  })[] {
    const now = this.jiffies();
    return this.list.map((e) => ({
      proto: e.orig.protonum === 6 ? ('tcp' as const) : ('udp' as const),
      src: ctAddrText(e.orig.src),
      sport: e.orig.sport,
      dst: ctAddrText(e.orig.dst),
      dport: e.orig.dport,
      status: e.status,
      mark: e.mark,
      timeout: Math.max(0, ((e.timeout - now) | 0) / CT_HZ),
      ...(e.zoneId ? { zone: e.zoneId } : {}),
      ...(e.natted
        ? {
            reply: {
              src: ctAddrText(e.reply.src),
              sport: e.reply.sport,
              dst: ctAddrText(e.reply.dst),
              dport: e.reply.dport,
            },
          }
        : {}),
    }));
  }
}

/** An address as text (dotted IPv4, RFC 5952 IPv6). */
export function ctAddrText(a: Uint8Array): string {
  if (a.length === 4) return Array.from(a).join('.');
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((a[i] as number) << 8) | (a[i + 1] as number));
  // RFC 5952: the longest run of two or more zero groups becomes '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hexs = g.map((x) => x.toString(16));
  if (best < 0) return hexs.join(':');
  return `${hexs.slice(0, best).join(':')}::${hexs.slice(best + bestLen).join(':')}`;
}

function specTuple(spec: ConntrackSpec, where: string): CtTuple {
  if (spec.proto !== 'tcp' && spec.proto !== 'udp')
    throw new ConntrackError(`${where}.proto: '${String(spec.proto)}' is not tcp or udp`);
  const port = (v: unknown, f: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)
      throw new ConntrackError(`${where}.${f}: ${JSON.stringify(v)} is not a port (0-65535)`);
    return v;
  };
  const addr = (v: unknown, f: string): Uint8Array => {
    if (typeof v !== 'string') throw new ConntrackError(`${where}.${f}: an IPv4 or IPv6 address is needed`);
    try {
      return v.includes(':') ? parseIpv6(v, `${where}.${f}`) : parseIpv4(v, `${where}.${f}`);
    } catch (e) {
      if (e instanceof FrameError) throw new ConntrackError(e.message);
      throw e;
    }
  };
  const src = addr(spec.src, 'src');
  const dst = addr(spec.dst, 'dst');
  if (src.length !== dst.length)
    throw new ConntrackError(`${where}: src and dst are not of the same address family`);
  return {
    l3num: src.length === 4 ? 2 : 10,
    protonum: spec.proto === 'tcp' ? 6 : 17,
    src,
    dst,
    sport: port(spec.sport, 'sport'),
    dport: port(spec.dport, 'dport'),
  };
}
