// BPF_MAP_CREATE: checks a definition the way the kernel does (sizes, flags, limits; redirect maps
// per redirect-semantics.md §1.3 "Creation rules") and builds the map object of its type.
import { mapTypeByValue } from '../bpf/mapTypes';
import { ArrayMap } from './arrayMap';
import { MapType } from './bpfMap';
import type { BpfMap, MapDef, MapHost } from './bpfMap';
import { CpuMap } from './cpumap';
import { DevMap } from './devmap';
import { DeclaredMap, declaredMapRefusal, isDeclaredMapType } from './declaredMap';
import { DevMapHash } from './devmapHash';
import { E2BIG, EINVAL, ENOMEM } from './errno';
import { HashMap } from './hashMap';
import { LpmTrieMap } from './lpmTrie';
import { formatBytes, MapMemoryError } from './mapMemory';
import { MapOfMaps } from './mapInMap';
import { ProgArrayMap } from './progArray';
import { QueueStackMap } from './queueStack';
import type { RedirectMapEnvironment } from './redirectMapEnv';
import { PerfEventArrayMap, RingBufMap } from './ringbuf';
import { XskMap } from './xskmap';

export class MapCreateError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
  }
}

const BPF_F_NO_PREALLOC = 1;
const BPF_F_NUMA_NODE = 4;
const BPF_F_RDONLY = 8;
const BPF_F_WRONLY = 16;
const BPF_F_RDONLY_PROG = 128;
const BPF_F_WRONLY_PROG = 256;
const BPF_F_MMAPABLE = 1024;
const BPF_F_INNER_MAP = 4096;
/** NR_CPUS of the modelled kernel (redirect-semantics.md §0). */
export const NR_CPUS = 256;

export interface CreateMapOptions {
  redirectEnv: RedirectMapEnvironment;
  /** Initial contents of a global-data map (.data/.rodata). */
  initial?: Uint8Array;
}

/** Largest full size (max_entries × value_size × CPUs) of a lazily stored map: the kernel allocates
 * array and preallocated hash maps whole, and no machine this runs on would hold more. */
export const MAX_MAP_VIRTUAL_BYTES = 2 ** 40;

export function createMap(def: MapDef, host: MapHost, opts: CreateMapOptions): BpfMap {
  let map: BpfMap;
  try {
    map = createMapOfType(def, host, opts);
  } catch (e) {
    if (e instanceof MapMemoryError) throw new MapCreateError(ENOMEM, e.message);
    throw e;
  }
  const info = mapTypeByValue(def.type);
  if (info?.redirectTarget) map.redirectFlags = info.redirectFlags;
  return map;
}

function createMapOfType(def: MapDef, host: MapHost, opts: CreateMapOptions): BpfMap {
  const fail = (errno: number, why: string): never => {
    throw new MapCreateError(errno, `map '${def.name}': ${why}`);
  };
  const info = mapTypeByValue(def.type);
  if (!info || def.type === 0) fail(EINVAL, `unknown map type ${def.type}`);
  const name = info!.name;
  // The VM keeps maps in memory: refuse what would not fit rather than crash (the kernel's own
  // limits are KMALLOC_MAX_SIZE per value and the memcg; these are in the same spirit). Storage is
  // lazy (pagedValues.ts, hashIndex.ts): only a map's full size beyond any machine is refused up
  // front; what a run really touches is charged to the system's map memory budget.
  if (!Number.isSafeInteger(def.maxEntries) || def.maxEntries > 0xffffffff)
    fail(EINVAL, `max_entries ${def.maxEntries} is not a 32-bit count`);
  if (def.keySize > 512 || def.valueSize > 1 << 20)
    fail(E2BIG, `key_size ${def.keySize} / value_size ${def.valueSize} too large`);
  if (isDeclaredMapType(def.type)) {
    // Types the VM does not run: the kernel's own creation rules, then a map that holds nothing.
    const refused = declaredMapRefusal(def);
    if (refused) fail(refused[0], `${name} ${refused[1]}`);
    return new DeclaredMap(def, host);
  }
  const cpus =
    def.type === MapType.PERCPU_ARRAY ||
    def.type === MapType.PERCPU_HASH ||
    def.type === MapType.LRU_PERCPU_HASH
      ? host.possibleCpus
      : 1;
  const full = def.maxEntries * Math.max(def.valueSize, 1) * cpus;
  if (def.type !== MapType.RINGBUF && full > MAX_MAP_VIRTUAL_BYTES)
    fail(
      ENOMEM,
      `${def.maxEntries} entries of ${def.valueSize} bytes${cpus > 1 ? ` on ${cpus} CPUs` : ''} (${formatBytes(full)}) exceed what any kernel could allocate (${formatBytes(MAX_MAP_VIRTUAL_BYTES)})`,
    );
  if (def.type === MapType.RINGBUF && def.maxEntries > host.memory.budget - host.memory.used)
    fail(
      ENOMEM,
      `ring of ${formatBytes(def.maxEntries)} exceeds the VM's map memory budget (${formatBytes(host.memory.budget - host.memory.used)} left)`,
    );
  const noKey = def.type === MapType.QUEUE || def.type === MapType.STACK || def.type === MapType.RINGBUF;
  if (def.maxEntries <= 0) fail(EINVAL, `${name} needs max_entries ≥ 1`);
  if (!noKey && def.keySize <= 0) fail(EINVAL, `${name} needs a key_size`);
  if (
    def.type !== MapType.RINGBUF &&
    def.valueSize <= 0 &&
    def.type !== MapType.ARRAY_OF_MAPS &&
    def.type !== MapType.HASH_OF_MAPS
  )
    fail(EINVAL, `${name} needs a value_size`);
  const common =
    BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG | BPF_F_INNER_MAP;
  const flagsOk = (allowed: number): void => {
    if (def.flags & ~allowed) fail(EINVAL, `map_flags 0x${def.flags.toString(16)} not accepted by ${name}`);
  };
  const redirectSizes = (valueSizes: number[]): void => {
    if (def.keySize !== 4) fail(EINVAL, `${name} needs key_size 4`);
    if (!valueSizes.includes(def.valueSize))
      fail(EINVAL, `${name} needs value_size ${valueSizes.join(' or ')}`);
  };
  const env = opts.redirectEnv;
  switch (def.type) {
    case MapType.ARRAY:
    case MapType.PERCPU_ARRAY:
      if (def.keySize !== 4) fail(EINVAL, `${name} needs key_size 4`);
      flagsOk(common | BPF_F_MMAPABLE);
      return new ArrayMap(def, host, {
        percpu: def.type === MapType.PERCPU_ARRAY,
        readOnlyProg: (def.flags & BPF_F_RDONLY_PROG) !== 0,
        ...(opts.initial ? { initial: opts.initial } : {}),
      });
    case MapType.HASH:
    case MapType.PERCPU_HASH:
    case MapType.LRU_HASH:
    case MapType.LRU_PERCPU_HASH:
      flagsOk(common | BPF_F_NO_PREALLOC | 2 /* BPF_F_NO_COMMON_LRU */ | 2048 /* ZERO_SEED */);
      return new HashMap(
        def,
        host,
        def.type === MapType.PERCPU_HASH || def.type === MapType.LRU_PERCPU_HASH,
        def.type === MapType.LRU_HASH || def.type === MapType.LRU_PERCPU_HASH,
      );
    case MapType.LPM_TRIE:
      if (def.keySize <= 4 || def.keySize > 4 + 256)
        fail(EINVAL, `${name} needs key_size 5..260 ({u32 prefixlen; data})`);
      if (!(def.flags & BPF_F_NO_PREALLOC)) fail(EINVAL, `${name} needs map_flags BPF_F_NO_PREALLOC`);
      return new LpmTrieMap(def, host);
    case MapType.PROG_ARRAY:
      if (def.keySize !== 4 || def.valueSize !== 4) fail(EINVAL, `${name} needs key_size 4 and value_size 4`);
      return new ProgArrayMap(def, host);
    case MapType.ARRAY_OF_MAPS:
    case MapType.HASH_OF_MAPS:
      if (!def.inner) fail(EINVAL, `${name} needs an inner map template (__array(values, ...))`);
      return new MapOfMaps({ ...def, valueSize: 4 }, host, def.type === MapType.ARRAY_OF_MAPS);
    case MapType.QUEUE:
    case MapType.STACK:
      if (def.keySize !== 0) fail(EINVAL, `${name} takes no key (key_size 0)`);
      return new QueueStackMap(def, host, def.type === MapType.STACK);
    case MapType.RINGBUF:
      if (def.keySize !== 0 || def.valueSize !== 0) fail(EINVAL, `${name} takes no key or value`);
      if (def.maxEntries < 4096 || (def.maxEntries & (def.maxEntries - 1)) !== 0)
        fail(EINVAL, `${name} needs max_entries a power of two ≥ 4096 (the ring size in bytes)`);
      return new RingBufMap(def, host);
    case MapType.PERF_EVENT_ARRAY:
      return new PerfEventArrayMap({ ...def, keySize: 4, valueSize: 4 }, host);
    case MapType.DEVMAP:
      redirectSizes([4, 8]);
      flagsOk(BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY);
      return new DevMap(def, host, env);
    case MapType.DEVMAP_HASH:
      redirectSizes([4, 8]);
      flagsOk(BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY);
      return new DevMapHash(def, host, env);
    case MapType.CPUMAP:
      redirectSizes([4, 8]);
      flagsOk(BPF_F_NUMA_NODE);
      if (def.maxEntries > NR_CPUS)
        fail(E2BIG, `${name} max_entries ${def.maxEntries} exceeds NR_CPUS (${NR_CPUS})`);
      return new CpuMap(def, host);
    case MapType.XSKMAP:
      redirectSizes([4]);
      flagsOk(BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY);
      return new XskMap(def, host);
    default:
      return fail(EINVAL, `${name} is not supported by the XDP Lab VM`);
  }
}
