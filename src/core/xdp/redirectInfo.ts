// The per-context redirect record the helpers write and step 2 (xdp_do_redirect) consumes.
// Field meanings and lifetime: ../shared/notes/redirect-semantics.md §1.2; helper writes §2.
// The VM's helpers (bpf_redirect, bpf_redirect_map) write it; src/core/xdp consumes and clears it.

/** `map_id` of an ifindex redirect (and the marker for "redirect by ifindex"): INT_MAX. */
export const IFINDEX_MAP_ID = 0x7fffffff;

/** BPF map type numbers used by the redirect record (UNSPEC = 0 means no map). */
export type RedirectMapType = 0 | 14 | 16 | 17 | 25;

export class RedirectInfo {
  /** Key or ifindex, full 64 bits as the helper received it (§1.2: never cleared by step 2). */
  tgtIndex = 0n;
  /** The looked-up map entry (devmap/cpumap/xskmap entry object) or undefined (NULL). */
  tgtValue: unknown = undefined;
  /** The map itself, only for broadcast. */
  map: unknown = undefined;
  flags = 0;
  mapId = 0;
  mapType: RedirectMapType = 0;
  /** False until the first access in the current context (§1.2: zeroed on first use). */
  private initialised = false;

  /** Called on first access inside a context; a new context starts with `reset()`. */
  touch(): this {
    // `=== false`, not `!`: a field V8 keeps as a tagged value gets a full ToBoolean (about ten
    // instructions: false, '', undetectable, number, bigint) per test — on every redirect.
    if (this.initialised === false) {
      this.tgtIndex = 0n;
      this.tgtValue = undefined;
      this.map = undefined;
      this.flags = 0;
      this.mapId = 0;
      this.mapType = 0;
      this.initialised = true;
    }
    return this;
  }

  /** A new bpf net context (softirq run, test-run batch, kthread batch) begins: state is zeroed lazily. */
  reset(): void {
    this.initialised = false;
  }

  /** True when the record says "redirect by ifindex" (§1.2 marker). */
  isIfindexRedirect(): boolean {
    return this.mapType === 0 && this.mapId === IFINDEX_MAP_ID;
  }
}
