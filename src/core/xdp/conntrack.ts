// The conntrack table the conntrack kfuncs (vm/kfuncs.ts) look into: entries as struct nf_conn
// images (nfConn.ts), found by either direction's tuple and zone as nf_conntrack_find_get does,
// inserted under nf_conntrack_hash_check_insert's rule, and the jiffies clock their timeouts use.
import { FrameError, parseIpv4, parseIpv6 } from '../packet/frameBuilder';
import type { CtTuple, NfConnFields, NfConnLayout } from './nfConn';
import { NF_CONN_6_18, invertTuple, nfConnImage, writeReplyTuple } from './nfConn';

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
  /** The reply direction's tuple (the inverse of orig until NAT alters it). */
  private replyTuple: CtTuple;
  constructor(
    private layout: NfConnLayout,
    readonly orig: CtTuple,
    fields: Omit<NfConnFields, 'orig'>,
  ) {
    this.replyTuple = fields.reply ?? invertTuple(orig);
    this.image = nfConnImage(layout, { ...fields, orig, reply: this.replyTuple });
    this.dv = new DataView(this.image.buffer);
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
    return this.dv.getUint32(this.layout.status, true);
  }
  set status(v: number) {
    this.dv.setUint32(this.layout.status, v >>> 0, true);
  }
  get mark(): number {
    return this.layout.mark === undefined ? 0 : this.dv.getUint32(this.layout.mark, true);
  }
  get timeout(): number {
    return this.dv.getUint32(this.layout.timeout, true);
  }
  set timeout(v: number) {
    this.dv.setUint32(this.layout.timeout, v >>> 0, true);
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
  }
}

function sameTuple(a: CtTuple, b: CtTuple): boolean {
  if (a.l3num !== b.l3num || a.protonum !== b.protonum || a.sport !== b.sport || a.dport !== b.dport)
    return false;
  const n = a.src.length;
  if (n !== b.src.length || n !== a.dst.length || n !== b.dst.length) return false;
  for (let i = 0; i < n; i++) if (a.src[i] !== b.src[i] || a.dst[i] !== b.dst[i]) return false;
  return true;
}

/**
 * hash_conntrack_raw's role: one hash of a direction's tuple and its zone id, the bucket the table
 * keeps that direction in (FNV-1a; the kernel's keyed jhash and bucket order are not observable).
 */
function tupleHash(t: CtTuple, zoneId: number): number {
  let h = 0x811c9dc5;
  h = Math.imul(h ^ t.l3num, 0x01000193);
  h = Math.imul(h ^ t.protonum, 0x01000193);
  h = Math.imul(h ^ t.sport, 0x01000193);
  h = Math.imul(h ^ t.dport, 0x01000193);
  h = Math.imul(h ^ zoneId, 0x01000193);
  const { src, dst } = t;
  for (let i = 0; i < src.length; i++) h = Math.imul(h ^ (src[i] as number), 0x01000193);
  for (let i = 0; i < dst.length; i++) h = Math.imul(h ^ (dst[i] as number), 0x01000193);
  // 30 bits: a small integer (Smi) as a Map key; a wider one is a heap number hashed as a double.
  return (h ^ (h >>> 30)) & 0x3fffffff;
}

/** One direction of an entry in a hash bucket (struct nf_conntrack_tuple_hash). */
interface TupleHash {
  readonly entry: ConntrackEntry;
  readonly dir: number;
  readonly tuple: CtTuple;
  /** The zone id this direction was hashed with (nf_ct_zone_id of the entry's zone in `dir`). */
  readonly zid: number;
}

/** nf_ct_zone_id: the zone's id in direction `dir` when the zone applies to it, else the default 0. */
const zoneIdIn = (id: number, zdir: number, dir: number): number => (zdir & (1 << dir) ? id : 0);

export class ConntrackTable {
  layout: NfConnLayout = NF_CONN_6_18;
  private readonly list: ConntrackEntry[] = [];
  /** Both directions of every entry by tupleHash (nf_conntrack_hash): a lookup reads one bucket. */
  private readonly hash = new Map<number, TupleHash[]>();

  /** `nowNs`: the system's virtual clock (bpf_ktime_get_ns's), read without advancing it. */
  constructor(private readonly nowNs: () => bigint) {}

  /** nfct_time_stamp: (u32)jiffies. */
  jiffies(): number {
    return (INITIAL_JIFFIES + Number((this.nowNs() * BigInt(CT_HZ)) / 1_000_000_000n)) >>> 0;
  }

  /** msecs_to_jiffies for HZ dividing 1000 (round up). */
  static msecsToJiffies(ms: number): number {
    return Math.ceil(((ms >>> 0) * CT_HZ) / 1000);
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
    return this.lookup(t, zoneIdIn(zoneId, zoneDir, 0), zoneId, zoneDir);
  }

  /** ____nf_conntrack_find over the bucket of (t, zid), with nf_ct_key_equal's zone check. */
  private lookup(
    t: CtTuple,
    zid: number,
    zoneId: number,
    zoneDir: number,
  ): { entry: ConntrackEntry; dir: number } | undefined {
    const bucket = this.hash.get(tupleHash(t, zid));
    if (!bucket) return undefined;
    for (const h of bucket) {
      // Colliding hashes share a bucket: the hashed zone id and the tuple must be the same.
      if (h.zid !== zid || !sameTuple(h.tuple, t)) continue;
      // nf_ct_zone_equal(ct, zone, NF_CT_DIRECTION(h)): h.zid is the entry's zone id in h.dir.
      if (h.zid !== zoneIdIn(zoneId, zoneDir, h.dir) || this.expired(h.entry)) continue;
      return { entry: h.entry, dir: h.dir };
    }
    return undefined;
  }

  /**
   * nf_conntrack_hash_check_insert: -EEXIST (17) when either direction is already tracked (each
   * direction's tuple looked up in the bucket of its own zone id); else both directions are hashed.
   */
  insert(e: ConntrackEntry): number {
    const dirs = [0, 1].map((dir) => {
      const tuple = dir === 0 ? e.orig : e.reply;
      return { dir, tuple, zid: zoneIdIn(e.zoneId, e.zoneDir, dir) };
    });
    if (dirs.some((d) => this.lookup(d.tuple, d.zid, e.zoneId, e.zoneDir))) return -17;
    this.list.push(e);
    for (const { dir, tuple, zid } of dirs) {
      const key = tupleHash(tuple, zid);
      const h: TupleHash = { entry: e, dir, tuple, zid };
      const bucket = this.hash.get(key);
      if (bucket) bucket.push(h);
      else this.hash.set(key, [h]);
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
