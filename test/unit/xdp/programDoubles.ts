// Test doubles for the PROGRAM only (never for the kernel): small hand-written XdpProgramHandle
// implementations whose helper calls write the redirect info as redirect-semantics.md §2 says, so
// the simulator's mechanisms can be unit-tested without compiling C. Real programs run in the
// kernel-tier and CLI tests.
import { BpfSystem } from '../../../src/core/vm/bpfSystem';
import type { BpfMap } from '../../../src/core/maps/bpfMap';
import type { XdpBuffer, XdpProgramHandle, XdpRunContext } from '../../../src/core/vm/xdpRun';
import { IFINDEX_MAP_ID, type RedirectMapType } from '../../../src/core/xdp/redirectInfo';
import type { LoadedObject } from '../../../src/core/xdp/simulation';
import { Simulation } from '../../../src/core/xdp/simulation';
import type { SimulatorOptions } from '../../../src/core/xdp/simulator';
import { parseScenario } from '../../../src/core/scenario/scenarioParse';
import type { SimulationResult } from '../../../src/core/xdp/simulationResult';
import { formatEvent } from '../../../src/core/trace/tracepoints';

let nextId = 1000;

export type Body = (buf: XdpBuffer, ctx: XdpRunContext, n: number) => number;

/** A program double; `n` counts its runs (0-based), handy for "frame k does X". */
export function prog(
  name: string,
  body: Body,
  opts: { attach?: 'xdp' | 'devmap' | 'cpumap'; frags?: boolean } = {},
): XdpProgramHandle & { runs: number } {
  const h = {
    name,
    id: nextId++,
    section: 'xdp',
    attach: opts.attach ?? 'xdp',
    frags: opts.frags ?? false,
    runs: 0,
    run(buf: XdpBuffer, ctx: XdpRunContext) {
      const action = body(buf, ctx, h.runs++);
      return { action, insns: 1 };
    },
  };
  return h;
}

/** bpf_redirect (§2.1). */
export function redirect(ctx: XdpRunContext, ifindex: number, flags = 0): number {
  if (flags !== 0) return 0;
  const ri = ctx.redirect.touch();
  ri.tgtIndex = BigInt(ifindex >>> 0);
  ri.mapId = IFINDEX_MAP_ID;
  ri.mapType = 0;
  return 4;
}

interface RedirectTargetMap extends BpfMap {
  redirectTarget(key: number): unknown;
}

/** bpf_redirect_map (§2.2), for DEVMAP/DEVMAP_HASH/CPUMAP/XSKMAP. */
export function redirectMap(ctx: XdpRunContext, map: BpfMap, key: number | bigint, flags = 0): number {
  const extra = map.type === 14 || map.type === 25 ? 24 : 0;
  if ((flags & ~(3 | extra)) !== 0) return 0;
  const k = BigInt(key);
  const entry = (map as RedirectTargetMap).redirectTarget(Number(k & 0xffffffffn));
  const broadcast = (flags & 8) !== 0;
  const ri = ctx.redirect.touch();
  ri.tgtValue = entry;
  if (entry === undefined && !broadcast) {
    ri.mapId = IFINDEX_MAP_ID;
    ri.mapType = 0;
    return flags & 3;
  }
  ri.tgtIndex = k;
  ri.mapId = map.id;
  ri.mapType = map.type as RedirectMapType;
  ri.map = broadcast ? map : undefined;
  ri.flags = broadcast ? flags : 0;
  return 4;
}

export const pass = (): XdpProgramHandle => prog('pass', () => 2);

/** A kernel-like system to create real maps in (the VM's map implementations). */
export function system(cpus = 2): BpfSystem {
  return new BpfSystem({ possibleCpus: cpus });
}

export function devmap(sys: BpfSystem, name = 'tx_port', maxEntries = 8, valueSize = 8): BpfMap {
  return sys.createMap({ name, type: 14, keySize: 4, valueSize, maxEntries, flags: 0 });
}

/** A BPF_MAP_TYPE_CPUMAP (values: qsize, or qsize + a program fd when `valueSize` is 8). */
export function cpumap(sys: BpfSystem, name = 'cpu_map', maxEntries = 2, valueSize = 4): BpfMap {
  return sys.createMap({ name, type: 16, keySize: 4, valueSize, maxEntries, flags: 0 });
}

/** The structured frame most mechanism tests send: Ethernet/IPv4/UDP to port 9. */
export const udp = { udp: { dst: '10.0.0.2', dport: 9 } };

/** A run's tracepoint events in the kernel's perf-script text form, in order. */
export const eventLines = (r: SimulationResult): string[] => r.events.map((e) => formatEvent(e.event));

/** Runs a scenario (plain JSON as in a file) whose programs all come from one object "t.o". */
export function simulate(
  scenario: Record<string, unknown>,
  programs: Record<string, XdpProgramHandle>,
  maps: BpfMap[] = [],
  options: SimulatorOptions = {},
): SimulationResult {
  return simulation(scenario, programs, maps, options).run();
}

/** The Simulation of such a scenario, not yet run (for runInSlices). */
export function simulation(
  scenario: Record<string, unknown>,
  programs: Record<string, XdpProgramHandle>,
  maps: BpfMap[] = [],
  options: SimulatorOptions = {},
): Simulation {
  const withPrograms = {
    version: 1,
    ...scenario,
    programs: Object.keys(programs).map((n) => ({ name: n, file: 't.o', function: n })),
  };
  const sc = parseScenario(withPrograms);
  // Delegates keep the doubles' run counters while carrying the scenario's function names.
  const objs = new Map<string, LoadedObject>([
    ['t.o', { programs: Object.entries(programs).map(([n, h]) => ({ ...delegate(h), name: n })), maps }],
  ]);
  return new Simulation({ scenario: sc, objects: objs }, { maxSteps: 10_000, ...options });
}

function delegate(h: XdpProgramHandle): XdpProgramHandle {
  return {
    name: h.name,
    id: h.id,
    section: h.section,
    attach: h.attach,
    frags: h.frags,
    run: (b, c) => h.run(b, c),
  };
}

/** A veth pair pair-list helper: `pair('a0','a1')` → two device entries. */
export function pair(
  x: string,
  y: string,
  extra: { [dev: string]: Record<string, unknown> } = {},
): Record<string, unknown>[] {
  return [
    { name: x, kind: 'veth', peer: y, ...(extra[x] ?? {}) },
    { name: y, kind: 'veth', peer: x, ...(extra[y] ?? {}) },
  ];
}
