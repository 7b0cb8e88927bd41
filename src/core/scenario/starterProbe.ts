// Runs a program on the starter scenario's frames before the scenario is written, to learn which
// redirect-map keys it looks up (issue 13 item 9): a starter whose DEVMAP entry sits at key 0 while
// the program computes key 2 shows 16 × XDP_PASS and "no drops", hiding the miss from a new user.
import { loadObject } from '../elf/loadObject';
import type { BpfMap } from '../maps/bpfMap';
import { buildFrame, type FrameSpec } from '../packet/frameBuilder';

export interface StarterProbe {
  /** Redirect map name → the keys the program asked it for (first seen first, at most 8 a map). */
  redirectKeys: Record<string, number[]>;
  /** What went wrong running it (a fault, a refused object): the starter then keeps its defaults. */
  problem?: string;
}

/** The frame the starter scenario's traffic sends (kept here so probe and scenario agree). */
export const STARTER_FRAME: FrameSpec = { udp: { dst: '10.0.0.2', dport: 8 } };
/** r1's ifindex in the starter topology (a0=2, r1=3, r2=4, c0=5: device order from 2). */
export const STARTER_INGRESS_IFINDEX = 3;
const MAX_KEYS = 8;

type RedirectLookup = (key: number) => unknown;

/** Runs `fn` of the object on the starter frame, recording every redirect-map lookup. */
export function probeStarterProgram(object: Uint8Array, fn: string): StarterProbe {
  const redirectKeys: Record<string, number[]> = {};
  try {
    const obj = loadObject(object);
    const prog = obj.program(fn);
    if (!prog) return { redirectKeys, problem: `no XDP program ${fn} in the object` };
    for (const map of obj.maps) watchRedirectLookups(map, redirectKeys);
    const result = prog.testRun(buildFrame(STARTER_FRAME), { ingressIfindex: STARTER_INGRESS_IFINDEX });
    if (result.fault) return { redirectKeys, problem: `${fn} faulted: ${result.fault.message}` };
    return { redirectKeys };
  } catch (e) {
    return { redirectKeys, problem: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Redirect maps answer bpf_redirect_map through `redirectTarget(key)` (helpers/redirectHelpers.ts):
 * wrapping it on this private copy of the map records the key without changing the answer.
 */
function watchRedirectLookups(map: BpfMap, out: Record<string, number[]>): void {
  const target = map as BpfMap & { redirectTarget?: RedirectLookup };
  const lookup = target.redirectTarget;
  if (typeof lookup !== 'function') return;
  target.redirectTarget = (key: number) => {
    const keys = (out[map.name] ??= []);
    if (!keys.includes(key) && keys.length < MAX_KEYS) keys.push(key);
    return lookup.call(map, key);
  };
}
