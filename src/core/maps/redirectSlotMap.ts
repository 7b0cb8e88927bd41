// What the array-keyed redirect maps (DEVMAP, CPUMAP, XSKMAP) share: one optional entry per slot,
// bpf_redirect_map's slot lookup, the slot-order walk broadcast uses, and the bpftool-style dump.
// Each map type keeps its own update rules and errnos in its own file (§1.3 differs per type).
// Slots are kept sparsely (a Map by index): a 16 M-slot DEVMAP costs its present entries only.
import { BpfMap } from './bpfMap';
import type { MapDef, MapEntryDump, MapHost } from './bpfMap';

export abstract class RedirectSlotMap<E extends object> extends BpfMap {
  private readonly slotMap = new Map<number, E>();
  /** Present entries in slot order, rebuilt after a change (broadcast walks them per frame). */
  private ordered: E[] | undefined;
  private orderedKeys: number[] | undefined;

  constructor(def: MapDef, host: MapHost) {
    super(def, host);
  }

  /** The entry in slot i, if any. */
  protected slotAt(i: number): E | undefined {
    return this.slotMap.get(i);
  }

  /** Sets (or with undefined clears) slot i. */
  protected setSlot(i: number, e: E | undefined): void {
    if (e) this.slotMap.set(i, e);
    else if (!this.slotMap.delete(i)) return;
    this.ordered = undefined;
    this.orderedKeys = undefined;
  }

  /** Indices of the present slots, ascending. */
  protected presentSlots(): number[] {
    this.orderedKeys ??= [...this.slotMap.keys()].sort((a, b) => a - b);
    return this.orderedKeys;
  }

  /** bpf_redirect_map's lookup (§2.2 step 2): the key is already truncated to 32 bits; past max_entries misses. */
  redirectTarget(key: number): E | undefined {
    return key < this.def.maxEntries ? this.slotMap.get(key) : undefined;
  }

  /** Every present entry, in slot order (broadcast walks them, §3.3). */
  entries(): E[] {
    this.ordered ??= this.presentSlots().map((i) => this.slotMap.get(i) as E);
    return this.ordered;
  }

  /** The value bytes user space reads for an entry (what `bpftool map dump` shows). */
  protected abstract dumpValue(entry: E): Uint8Array;

  dump(): MapEntryDump[] {
    return this.presentSlots().map((i) => {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, i, true);
      return { key, value: this.dumpValue(this.slotMap.get(i) as E) };
    });
  }
}
