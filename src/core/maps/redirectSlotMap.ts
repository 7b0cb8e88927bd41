// What the array-keyed redirect maps (DEVMAP, CPUMAP, XSKMAP) share: one optional entry per slot,
// bpf_redirect_map's slot lookup, the slot-order walk broadcast uses, and the bpftool-style dump.
// Each map type keeps its own update rules and errnos in its own file (§1.3 differs per type).
import { BpfMap } from './bpfMap';
import type { MapDef, MapEntryDump, MapHost } from './bpfMap';

export abstract class RedirectSlotMap<E extends object> extends BpfMap {
  protected readonly slots: (E | undefined)[];

  constructor(def: MapDef, host: MapHost) {
    super(def, host);
    this.slots = new Array<E | undefined>(def.maxEntries);
  }

  /** bpf_redirect_map's lookup (§2.2 step 2): the key is already truncated to 32 bits; past max_entries misses. */
  redirectTarget(key: number): E | undefined {
    return key < this.def.maxEntries ? this.slots[key] : undefined;
  }

  /** Every present entry, in slot order (broadcast walks them, §3.3). */
  entries(): E[] {
    return this.slots.filter((e): e is E => e !== undefined);
  }

  /** The value bytes user space reads for an entry (what `bpftool map dump` shows). */
  protected abstract dumpValue(entry: E): Uint8Array;

  dump(): MapEntryDump[] {
    const out: MapEntryDump[] = [];
    this.slots.forEach((e, i) => {
      if (!e) return;
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, i, true);
      out.push({ key, value: this.dumpValue(e) });
    });
    return out;
  }
}
