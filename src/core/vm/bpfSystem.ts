// One simulated kernel: the id counters of programs and maps, the machine that runs programs, the
// facts helpers read (CPUs, a virtual clock, a seeded PRNG, captured trace_printk lines, an optional
// route table) and the environment hook of the redirect maps. Objects loaded into the same system
// share these, as programs loaded into one kernel do.
import type { BpfMap, MapDef } from '../maps/bpfMap';
import { createMap } from '../maps/createMap';
import { ArrayMap } from '../maps/arrayMap';
import type { RedirectMapEnvironment } from '../maps/redirectMapEnv';
import { anyIfindexExists } from '../maps/redirectMapEnv';
import { MapMemory } from '../maps/mapMemory';
import { helperTable } from '../helpers/helperTable';
import { Machine } from './machine';
import type { HelperEnvironment } from './machine';
import type { Region } from './memory';
import type { RouteTable } from '../helpers/fibLookup';
import type { VmTier } from './compiler';
import { attachLinearMemory } from './wasm/wasmEnv';
import { ConntrackTable } from '../xdp/conntrack';
import { kfuncTable } from './kfuncs';

export interface BpfSystemOptions {
  /** Number of possible CPUs (per-CPU maps, CPUMAP keys). Default 2 (this project's machines). */
  possibleCpus?: number;
  /** Redirect-map environment (does an ifindex exist). Default: every positive ifindex exists. */
  redirectEnv?: RedirectMapEnvironment;
  /** Seed of bpf_get_prandom_u32. */
  seed?: number;
  /** Start of the virtual clock of bpf_ktime_get_ns (ns). */
  clockNs?: bigint;
  /** Routes for bpf_fib_lookup; without one the helper answers "no route table". */
  routes?: RouteTable;
  /** MTU per ifindex for bpf_check_mtu / fib lookups (default 1500). */
  mtuOf?: (ifindex: number) => number;
  /** Which compiler runs the programs loaded into this system (compiler.ts VmTier; default 'js'). */
  tier?: VmTier;
  /** Bytes all maps' lazily allocated storage may take (default 1 GiB): beyond it, ENOMEM/faults. */
  mapMemoryBudget?: number;
}

export class BpfSystem implements HelperEnvironment {
  readonly machine = new Machine();
  readonly possibleCpus: number;
  readonly redirectEnv: RedirectMapEnvironment;
  readonly routes: RouteTable | undefined;
  readonly mtuOf: (ifindex: number) => number;
  readonly tier: VmTier;
  /** Lines written by bpf_trace_printk, in order. */
  readonly printk: string[] = [];
  readonly notes: string[] = [];
  /** The virtual clock (ns) and the number of its changes (a number to compare: clockTicks). */
  private clock: bigint;
  private ticks = 0;
  private prng: number;
  private nextProgId = 1;
  private nextMapId = 1;
  readonly maps: BpfMap[] = [];
  /** The budget map storage is charged to, and the region caches swept between runs. */
  readonly mapMemory: MapMemory;
  /** The conntrack table of the conntrack kfuncs (one per system, like one network namespace). */
  readonly conntrack = new ConntrackTable(
    () => this.clock,
    () => this.ticks,
  );

  constructor(opts: BpfSystemOptions = {}) {
    this.possibleCpus = Math.max(1, opts.possibleCpus ?? 2);
    this.mapMemory = new MapMemory(opts.mapMemoryBudget);
    this.redirectEnv = opts.redirectEnv ?? anyIfindexExists;
    this.routes = opts.routes;
    this.tier = opts.tier ?? 'js';
    // Test runs happen on loopback (ifindex 1, MTU 65536); other devices default to 1500.
    this.mtuOf = opts.mtuOf ?? ((i) => (i === 1 ? 65536 : 1500));
    this.clock = opts.clockNs ?? 1_000_000_000n;
    this.prng = (opts.seed ?? 0x2545f491) >>> 0 || 1;
    this.machine.helpers = helperTable();
    this.machine.kfuncs = kfuncTable();
    this.machine.system = this;
    if (this.tier !== 'js') {
      // Programs may run on the wasm tier: map storage lives in its linear memory (issue 16.3).
      attachLinearMemory(this.machine);
      const alloc = this.machine.allocBytes;
      if (alloc) this.mapMemory.allocBytes = alloc;
    }
  }

  allocProgId(): number {
    return this.nextProgId++;
  }

  /** BPF_MAP_CREATE: throws MapCreateError with the kernel's errno when the definition is refused. */
  createMap(def: MapDef, initial?: Uint8Array): BpfMap {
    const m = this.machine;
    const host = {
      possibleCpus: this.possibleCpus,
      allocRegion: m.allocRegion.bind(m),
      freeRegion: m.freeRegion.bind(m),
      memory: this.mapMemory,
    };
    const map = createMap(def, host, { redirectEnv: this.redirectEnv, ...(initial ? { initial } : {}) });
    map.id = this.nextMapId++;
    map.handle = m.allocRegion('map', new Uint8Array(0), false, `map '${def.name}'`, map);
    if (map instanceof ArrayMap && map.regionsKept) {
      // Lookups answered from a table once made (Machine.lookupElem; array_map_gen_lookup).
      const max = map.def.maxEntries;
      map.handle.lookupTable = { max, stride: map.percpu ? max : 0, ids: new Int32Array(max * map.cpus) };
    }
    this.maps.push(map);
    return map;
  }

  /** The map a program's map pointer refers to. */
  mapOfRegion(r: Region | undefined): BpfMap | undefined {
    return r && r.kind === 'map' ? (r.ref as BpfMap) : undefined;
  }

  /** bpf_get_prandom_u32: xorshift32, deterministic per seed. */
  random(): number {
    let x = this.prng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.prng = x >>> 0;
    return this.prng;
  }

  /** The virtual clock's reading (ns), without advancing it. */
  get clockNs(): bigint {
    return this.clock;
  }
  set clockNs(ns: bigint) {
    this.clock = ns;
    this.ticks++;
  }

  /** bpf_ktime_get_ns: a virtual monotonic clock that advances 1 ns per read. */
  now(): bigint {
    const t = this.clock;
    this.clock = t + 1n;
    this.ticks++;
    return t;
  }
}
