// A bpf_redirect_map lookup that found no entry (a key never filled, beyond max_entries, or cleared):
// the kernel's __bpf_xdp_redirect_map (include/linux/filter.h) then returns `flags & action_mask`,
// the fallback action in the flags' lower bits, silently (§2.2 step 3). The one wording of such a
// miss (Run result notes, the visualizer's timeline, graph and misses view, the CLI), the per-run
// slot the helper fills, and the counts the simulator keeps of it (counted always; issue 13 item 8).
import { xdpActionByValue } from '../bpf/xdpActions';

/** One miss: the map, the key looked up, the action the helper returned. */
export interface RedirectMiss {
  /** Map type without BPF_MAP_TYPE_: DEVMAP, DEVMAP_HASH, CPUMAP, XSKMAP. */
  readonly mapType: string;
  readonly map: string;
  readonly key: number;
  readonly fallback: number;
}

const actionName = (a: number): string => xdpActionByValue(a)?.name ?? `action ${a}`;

/** The headline: "DEVMAP tx_port key 2 not found → XDP_PASS (flags)". */
export function redirectMissText(m: RedirectMiss): string {
  return `${m.mapType} ${m.map} key ${m.key} not found → ${actionName(m.fallback)} (flags)`;
}

/** Why the frame was not redirected, and what to change. */
export function redirectMissWhy(m: RedirectMiss): string {
  return `bpf_redirect_map found no entry at key ${m.key} of ${m.map} and returned the fallback action in the lower bits of its flags, as the kernel does: the frame is not redirected. Fix: fill key ${m.key} of ${m.map}, or check the key the program computes.`;
}

/** The headline and the explanation as one line (the Run result's note, the CLI). */
export function explainRedirectMiss(m: RedirectMiss): string {
  return `${redirectMissText(m)} — ${redirectMissWhy(m)}`;
}

/**
 * The last bpf_redirect_map call of one program run, as the helper left it: a later call that hits
 * clears the miss (the kernel: "the last one always takes precedence"). Written without allocation.
 */
export class RedirectMissSlot {
  missed = false;
  mapType = '';
  map = '';
  key = 0;
  fallback = 0;
}

/** A miss as the simulator counts it: where, by which program, how many frames. */
export interface RedirectMissCount extends RedirectMiss {
  readonly device: string;
  readonly program: string;
  frames: number;
}

/** `SimSummary.redirectMisses`: every miss counted in `frames`, the first places with their own counts. */
export interface RedirectMissSummary {
  frames: number;
  rows: RedirectMissCount[];
}

/** Distinct (device, program, map, key, action) rows kept; later ones are in `frames` only. */
export const MAX_MISS_ROWS = 64;

/** Counts misses whose fallback became the verdict; one-entry cache for the common single-place case. */
export class RedirectMissCounter {
  readonly summary: RedirectMissSummary = { frames: 0, rows: [] };
  private last: RedirectMissCount | undefined;

  count(device: string, program: string, s: RedirectMissSlot): void {
    this.summary.frames++;
    const l = this.last;
    if (l && matches(l, device, program, s)) {
      l.frames++;
      return;
    }
    let row = this.summary.rows.find((r) => matches(r, device, program, s));
    if (!row) {
      if (this.summary.rows.length >= MAX_MISS_ROWS) return;
      row = { device, program, mapType: s.mapType, map: s.map, key: s.key, fallback: s.fallback, frames: 0 };
      this.summary.rows.push(row);
    }
    row.frames++;
    this.last = row;
  }
}

function matches(r: RedirectMissCount, device: string, program: string, s: RedirectMissSlot): boolean {
  return (
    r.device === device &&
    r.program === program &&
    r.map === s.map &&
    r.key === s.key &&
    r.fallback === s.fallback
  );
}
