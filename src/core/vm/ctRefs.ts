// The references a program holds to conntrack entries (nf_ct_get / nf_ct_put as the conntrack
// kfuncs take and drop them, net/netfilter/nf_conntrack_bpf.c): a region over each entry's nf_conn
// image while a program holds it, parked (hidden, kept for the next lookup) when it is released, and
// the trusted-argument check of the kfuncs that take an nf_conn. The kfuncs are in kfuncs.ts.
import type { ConntrackEntry } from '../xdp/conntrack';
import { ctAddrText } from '../xdp/conntrack';
import { IPPROTO_TCP } from '../xdp/nfConn';
import type { Machine } from './machine';
import { ADDR_BASE } from './memory';
import type { Region } from './memory';

/** What a program's pointer to entry `e` is called in fault messages. */
function regionLabel(e: ConntrackEntry): string {
  const t = e.orig;
  return `nf_conn (${t.protonum === IPPROTO_TCP ? 'tcp' : 'udp'} ${ctAddrText(t.src)}:${t.sport} → ${ctAddrText(t.dst)}:${t.dport})`;
}

/**
 * Regions of entries no program holds stay registered so the next lookup of the entry reuses its
 * region (a new Region and DataView per lookup were a third of a tracked lookup's run), hidden
 * (an empty window: a use after release faults) until then. At most PARKED_MAX entries per machine
 * keep one, in a ring: the oldest is let go first, so a run over many flows does not grow the
 * machine's region table.
 */
const PARKED_MAX = 256;
class Parking {
  readonly ring: (ConntrackEntry | undefined)[] = new Array<ConntrackEntry | undefined>(PARKED_MAX).fill(
    undefined,
  );
  next = 0;
}
const parking = new WeakMap<Machine, Parking>();
/** The machine asked last and its parking (runs of one machine follow each other: no WeakMap lookup). */
let lastMachine: Machine | undefined;
let lastParking: Parking | undefined;

function parkingOf(M: Machine): Parking {
  if (M === lastMachine && lastParking !== undefined) return lastParking;
  let p = parking.get(M);
  if (p === undefined) parking.set(M, (p = new Parking()));
  lastMachine = M;
  lastParking = p;
  return p;
}

/** The entry's region when it is in machine M's table. */
const liveRegion = (M: Machine, e: ConntrackEntry): Region | undefined => {
  const r = e.vmRegion;
  return r !== undefined && M.R[r.id] === r ? r : undefined;
};

/** Puts `e` in M's ring (once), letting the oldest entry's region go unless a program holds it. */
function park(M: Machine, e: ConntrackEntry): void {
  e.vmParked = true;
  const p = parkingOf(M);
  const old = p.ring[p.next];
  p.ring[p.next] = e;
  p.next = (p.next + 1) % PARKED_MAX;
  if (old === undefined || old === e) return;
  old.vmParked = false;
  const r = liveRegion(M, old);
  if (r !== undefined && old.vmRefs === 0) {
    old.vmRegion = undefined;
    M.freeRegion(r);
  }
}

/**
 * The program's pointer to an entry (the kernel's refcount taken): a region over its nf_conn image.
 * The common case — the entry's region parked in this machine, over the same image — in a few
 * bytecodes so that V8 inlines it into the lookup; the rest in acquireOther.
 */
export function acquire(M: Machine, e: ConntrackEntry): number {
  const r = e.vmRegion;
  if (r === undefined || e.vmRefs !== 0 || r.u8 !== e.image || M.R[r.id] !== r) return acquireOther(M, e);
  // Out of the parking: the window release() emptied opens again over the image; only the bounds
  // change (no call, no comparison of views).
  r.hi = r.whi = r.u8.length;
  M.onRegion?.(r.id);
  e.vmRefs = 1;
  // The run's end drops what the program still holds (Machine.dropKernelRefs frees the region).
  M.kernelRefs.push(r);
  return M.ptr(r);
}

/** acquire's other cases: a first region, a relaid image, or a second reference. */
function acquireOther(M: Machine, e: ConntrackEntry): number {
  let r = liveRegion(M, e);
  if (r === undefined) {
    r = M.allocRegion('kernelObject', e.image, true, (e.regionLabel ??= regionLabel(e)), e);
    e.vmRegion = r;
    e.vmRefs = 0;
  } else if (e.vmRefs === 0) {
    // Only a relayout moves the image (a new Uint8Array and view).
    if (r.u8 === e.image) {
      r.hi = e.image.length;
      r.whi = r.hi;
    } else r.setWindow(e.image, 0, e.image.length, true);
    M.onRegion?.(r.id);
  }
  if (e.vmRefs++ === 0) M.kernelRefs.push(r);
  return M.ptr(r);
}

/**
 * Drops one of the program's references (bpf_ct_release, or a failed insert freeing the allocation).
 * The common case — the last reference, the newest of the run, to a parked table entry — in a few
 * bytecodes (V8 inlines it into the kfunc's call site); the rest in releaseOther.
 */
export function release(M: Machine, r: Region): void {
  const e = r.ref as ConntrackEntry;
  if (--e.vmRefs > 0) return;
  const refs = M.kernelRefs;
  if (refs[refs.length - 1] !== r || e.vmParked === false || !e.inserted) return releaseOther(M, r, e);
  refs.pop();
  // An empty window (Region.setWindow(r.u8, 0, 0, false) without the call): a use after release
  // faults. lo stays 0, as acquire opened it.
  r.hi = 0;
  r.whi = -1;
  M.onRegion?.(r.id);
}

/** release of the last reference in the other cases: not the newest, not parked, not inserted. */
function releaseOther(M: Machine, r: Region, e: ConntrackEntry): void {
  const refs = M.kernelRefs;
  // The newest reference first: a program releases what it just looked up.
  if (refs[refs.length - 1] === r) refs.pop();
  else dropRef(refs, r);
  // An allocation that never made it into the table is gone (nf_conntrack_free).
  if (!e.inserted) return freeAlloc(M, e, r);
  r.hi = 0;
  r.whi = -1;
  M.onRegion?.(r.id);
  if (e.vmParked === false) park(M, e); // (not \`!\`: a full ToBoolean per release)
}

/** A reference other than the newest one leaves the run's list. */
function dropRef(refs: Region[], r: Region): void {
  const i = refs.indexOf(r);
  if (i >= 0) refs.splice(i, 1);
}

/** The region of an allocation released before it was inserted goes with it. */
function freeAlloc(M: Machine, e: ConntrackEntry, r: Region): void {
  e.vmRegion = undefined;
  M.freeRegion(r);
}

/**
 * Region r is an nf_conn the program holds, the pointer at its offset 0 (`at0`; KF_TRUSTED_ARGS: a
 * pointer an acquiring kfunc returned, unmoved, not released). The kfuncs' direct forms test it in
 * place.
 */
export const isHeldConn = (r: Region | undefined, at0: boolean): boolean =>
  r !== undefined && r.kind === 'kernelObject' && at0 && (r.ref as ConntrackEntry).vmRefs !== 0;

/** The fault of an nf_conn argument i that is not one (the verifier rejects such a program). */
export function notConn(M: Machine, pc: number, i: number, what: string): never {
  return M.fault(
    pc,
    `${what}: argument ${i} is not an nf_conn a conntrack kfunc returned (released, NULL or moved; the verifier rejects the program)`,
  );
}

/** The nf_conn argument i: a pointer an acquiring kfunc returned, at offset 0 (trusted args). */
export const connArg = (M: Machine, pc: number, i: number, what: string): Region =>
  connAt(M, pc, M.argHi(i), M.argLo(i), i, what);

/** connArg of the register pair (hi, lo) that is argument i. */
export function connAt(M: Machine, pc: number, hi: number, lo: number, i: number, what: string): Region {
  const r = M.R[hi];
  if (!isHeldConn(r, lo === ADDR_BASE)) notConn(M, pc, i, what);
  return r as Region;
}

/** The entry behind an nf_conn argument. */
export const connOf = (M: Machine, pc: number, what: string): ConntrackEntry =>
  connArg(M, pc, 1, what).ref as ConntrackEntry;
