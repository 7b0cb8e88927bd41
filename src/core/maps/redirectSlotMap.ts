// What the array-keyed redirect maps (DEVMAP, CPUMAP, XSKMAP) share: one optional entry per slot,
// bpf_redirect_map's slot lookup, the slot-order walk broadcast uses, and the bpftool-style dump.
// Each map type keeps its own update rules and errnos in its own file (§1.3 differs per type).
// Slots are kept sparsely (a Map by index): a 16 M-slot DEVMAP costs its present entries only.
import { BpfMap } from './bpfMap';
import type { MapDef, MapEntryDump, MapHost } from './bpfMap';

/** Maps with at most this many slots keep them in an array too (see RedirectSlotMap.dense). */
const DENSE_SLOTS = 65536;

export abstract class RedirectSlotMap<E extends object> extends BpfMap {
  private readonly slotMap = new Map<number, E>();
  /** Present entries in slot order, rebuilt after a change (broadcast walks them per frame). */
  private ordered: E[] | undefined;
  private orderedKeys: number[] | undefined;

  /** max_entries, kept here: def's shape varies between maps (a megamorphic load per lookup). */
  private readonly maxEntries: number;
  /**
   * The slots as a plain array for maps of up to DENSE_SLOTS entries: bpf_redirect_map's lookup is
   * an index (the kernel's __dev_map_lookup_elem reads dtab->netdev_map[key]), not a hash lookup.
   */
  private readonly dense: (E | undefined)[] | undefined;

  constructor(def: MapDef, host: MapHost) {
    super(def, host);
    this.maxEntries = def.maxEntries;
    this.dense =
      def.maxEntries <= DENSE_SLOTS ? new Array<E | undefined>(def.maxEntries).fill(undefined) : undefined;
  }

  /** The entry in slot i, if any. */
  protected slotAt(i: number): E | undefined {
    return this.slotMap.get(i);
  }

  /** Told of every slot set or cleared (the wasm tier's presence bytes, wasmEnv.ts). */
  onSlotChange: ((i: number, present: boolean) => void) | undefined = undefined;

  /** Sets (or with undefined clears) slot i. */
  protected setSlot(i: number, e: E | undefined): void {
    if (this.dense !== undefined && i < this.dense.length) this.dense[i] = e;
    this.onSlotChange?.(i, e !== undefined);
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
    if (key >= this.maxEntries) return undefined;
    return this.dense !== undefined ? this.dense[key] : this.slotMap.get(key);
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
