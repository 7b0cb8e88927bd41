// bpf_redirect and bpf_redirect_map exactly as redirect-semantics.md §2 says: return values, flag
// checks, 32-bit key truncation, miss keeps tgt_index, broadcast never falls back; they write the
// per-context RedirectInfo (§1.2) that the simulator's step 2 consumes.
import { BPF_F_BROADCAST, REDIRECT_ACTION_MASK } from '../bpf/flags';
import { mapTypeByValue } from '../bpf/mapTypes';
import type { BpfMap } from '../maps/bpfMap';
import type { HelperFn, Machine } from '../vm/machine';
import { IFINDEX_MAP_ID, RedirectInfo } from '../xdp/redirectInfo';
import type { RedirectMapType } from '../xdp/redirectInfo';
import { explainRedirectMiss } from '../xdp/redirectMiss';
import { mapArg } from './mapHelpers';

const XDP_ABORTED = 0;
const XDP_REDIRECT = 4;

/** Runs without an XDP context (raw exec) still get a record, private to the call. */
const record = (M: Machine): RedirectInfo => (M.xdp ? M.xdp.ctx.redirect : new RedirectInfo()).touch();

/** §2.1: flags ≠ 0 → ABORTED, record untouched; else the ifindex marker, REDIRECT. */
export const bpf_redirect: HelperFn = (M) => {
  if (M.argLo(2) !== 0 || M.argHi(2) !== 0) return M.ret(XDP_ABORTED);
  const ri = record(M);
  const ifindex = M.argLo(1) >>> 0;
  // A small ifindex (every real one) takes its BigInt from the table: no allocation per run.
  ri.tgtIndex = ifindex < SMALL_KEYS.length ? (SMALL_KEYS[ifindex] as bigint) : BigInt(ifindex);
  ri.mapId = IFINDEX_MAP_ID;
  ri.mapType = 0;
  return M.ret(XDP_REDIRECT);
};

/** Misses already explained, per simulated kernel: `mapId * 2^32 + key`. */
const explained = new WeakMap<object, Set<number>>();
const MAX_MISS_NOTES = 16;
/** "DEVMAP" for 14, …: made once per type, not per missed frame. */
const shortTypeNames: string[] = [];

/**
 * A miss is silent in the kernel: __bpf_xdp_redirect_map returns the flags' fallback action and the
 * frame is not redirected (§2.2 step 3) — the classic "16 × XDP_PASS and no drops" of a map filled at
 * the wrong key. The one place a miss is detected: the run's slot gets it (the simulator counts it,
 * the visualizer shows it), and the run result's notes say it once per map and key (issue 13 item 8).
 */
function noteMiss(M: Machine, map: BpfMap, key: number, fallback: number): void {
  const mapType = (shortTypeNames[map.type] ??=
    mapTypeByValue(map.type)?.name.replace('BPF_MAP_TYPE_', '') ?? String(map.type));
  const slot = M.xdp?.ctx.miss;
  if (slot) {
    slot.missed = true;
    slot.mapType = mapType;
    slot.map = map.name;
    slot.key = key;
    slot.fallback = fallback;
  }
  let seen = explained.get(M.system);
  if (!seen) explained.set(M.system, (seen = new Set()));
  const id = map.id * 2 ** 32 + key;
  if (seen.has(id) || seen.size >= MAX_MISS_NOTES) return;
  seen.add(id);
  M.system.notes.push(explainRedirectMiss({ mapType, map: map.name, key, fallback }));
}

/** tgt_index values of small keys, so the hot path allocates no BigInt. */
const SMALL_KEYS = Array.from({ length: 1024 }, (_, i) => BigInt(i));

/** A map bpf_redirect_map can look into (DEVMAP, DEVMAP_HASH, CPUMAP, XSKMAP: redirectFlags ≥ 0). */
interface RedirectTargetMap extends BpfMap {
  redirectTarget(key32: number): unknown;
}

/** §2.2 steps 1–5 (the helper reads its arguments from M.A, see redirectMapDirect). */
export const bpf_redirect_map: HelperFn = (M, pc) =>
  redirectMapDirect(M, pc, M.argHi(1), M.argLo(1), M.argHi(2), M.argLo(2), M.argHi(3), M.argLo(3));

/**
 * bpf_redirect_map with its arguments as register halves: the compiled code calls it directly, as
 * the kernel's fixup turns the helper call into a call of the map's own map_redirect op
 * (do_misc_fixups → ops->map_redirect: dev_map_redirect, cpu_map_redirect, xsk_map_redirect).
 */
export function redirectMapDirect(
  M: Machine,
  pc: number,
  mh: number,
  ml: number,
  keyHi: number,
  keyLo: number,
  flagsHi: number,
  flagsLo: number,
): number {
  const r = M.R[mh];
  const map = (r !== undefined && r.kind === 'map' ? r.ref : mapArgAt(M, pc, mh, ml)) as RedirectTargetMap;
  const extra = map.redirectFlags;
  if (extra < 0) return notARedirectMap(M, pc, map);
  const flags = flagsLo >>> 0;
  // Step 1: any bit outside the action mask and the map's extra bits → ABORTED, record untouched.
  if (flagsHi !== 0 || (flags & ~(REDIRECT_ACTION_MASK | extra)) !== 0) return M.ret(XDP_ABORTED);
  // Step 2: the lookup uses the key truncated to 32 bits (every map with redirectFlags ≥ 0 is a
  // DEVMAP, DEVMAP_HASH, CPUMAP or XSKMAP: createMap.ts).
  const key32 = keyLo >>> 0;
  const entry = map.redirectTarget(key32);
  const x = M.xdp;
  const ri = (x !== null ? x.ctx.redirect : new RedirectInfo()).touch();
  ri.tgtValue = entry;
  const broadcast = (flags & BPF_F_BROADCAST) !== 0;
  if (entry === undefined && !broadcast) return redirectMiss(M, ri, map, key32, flags & REDIRECT_ACTION_MASK);
  // Step 4: hit, or broadcast regardless of hit. The last lookup takes precedence: no miss now.
  if (x !== null) {
    const slot = x.ctx.miss;
    if (slot !== undefined) slot.missed = false; // (not `if (slot)`: a full ToBoolean per call)
  }
  ri.tgtIndex =
    keyHi === 0 && key32 < SMALL_KEYS.length
      ? (SMALL_KEYS[key32] as bigint)
      : (BigInt(keyHi >>> 0) << 32n) | BigInt(key32);
  ri.mapId = map.id;
  ri.mapType = map.type as RedirectMapType;
  if (broadcast) {
    ri.map = map;
    ri.flags = flags;
  } else {
    ri.map = undefined;
    ri.flags = 0;
  }
  M.rh = 0;
  return XDP_REDIRECT;
}

/** Step 3: a miss leaves tgt_index as it was and makes the record an ifindex marker. */
function redirectMiss(M: Machine, ri: RedirectInfo, map: BpfMap, key32: number, fallback: number): number {
  noteMiss(M, map, key32, fallback);
  ri.mapId = IFINDEX_MAP_ID;
  ri.mapType = 0;
  return M.ret(fallback);
}

/** The verifier's refusal of bpf_redirect_map on any other map type. */
function notARedirectMap(M: Machine, pc: number, map: BpfMap): never {
  const info = mapTypeByValue(map.type);
  return M.fault(
    pc,
    `bpf_redirect_map on map '${map.name}' (${info?.name ?? map.type}): the verifier accepts only DEVMAP, DEVMAP_HASH, CPUMAP and XSKMAP`,
  );
}

/** r1 when it is not a map pointer: the helper's own fault (mapArg) names it. */
function mapArgAt(M: Machine, pc: number, mh: number, ml: number): BpfMap {
  M.A[0] = mh;
  M.A[1] = ml;
  return mapArg(M, pc, 1);
}
