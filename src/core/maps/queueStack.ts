// BPF_MAP_TYPE_QUEUE and STACK (kernel/bpf/queue_stack_maps.c): keyless FIFO / LIFO of values, used
// with bpf_map_push_elem / pop / peek. BPF_EXIST on push into a full map drops the oldest value.
import type { Region } from '../vm/memory';
import { BPF_EXIST, BpfMap } from './bpfMap';
import type { MapDef, MapEntryDump, MapHost } from './bpfMap';
import { E2BIG, EINVAL, ENOENT, ENOMEM } from './errno';
import { MapMemoryError } from './mapMemory';

export class QueueStackMap extends BpfMap {
  private readonly items: Uint8Array[] = [];
  /** What one stored value costs (its bytes and the array object holding them). */
  private readonly itemBytes: number;
  constructor(
    def: MapDef,
    host: MapHost,
    readonly lifo: boolean,
  ) {
    super(def, host);
    this.itemBytes = def.valueSize + 96;
  }

  lookup(): Region | undefined {
    return undefined;
  }

  push(value: Uint8Array, flags: number): number {
    if (flags & ~BPF_EXIST) return -EINVAL;
    if (this.items.length >= this.def.maxEntries) {
      if (!(flags & BPF_EXIST)) return -E2BIG;
      this.items.shift();
      this.host.memory.release(this.itemBytes);
    } else {
      // Items are kept one array each: charged to the map memory budget like any storage.
      try {
        this.host.memory.charge(this.itemBytes, this.name);
      } catch (e) {
        if (e instanceof MapMemoryError) return -ENOMEM;
        throw e;
      }
    }
    this.items.push(value.slice(0, this.def.valueSize));
    return 0;
  }

  /** pop (remove = true) or peek: the value or -ENOENT. */
  take(remove: boolean): Uint8Array | number {
    if (!this.items.length) return -ENOENT;
    const v = (this.lifo ? this.items[this.items.length - 1] : this.items[0]) as Uint8Array;
    if (remove) {
      if (this.lifo) this.items.pop();
      else this.items.shift();
      this.host.memory.release(this.itemBytes);
    }
    return v;
  }

  userLookup(): Uint8Array | number {
    const v = this.take(false);
    return typeof v === 'number' ? v : v.slice();
  }

  userUpdate(_key: Uint8Array, value: unknown, flags: number): number {
    return value instanceof Uint8Array ? this.push(value, flags) : -EINVAL;
  }

  userDelete(): number {
    return -EINVAL;
  }

  dump(): MapEntryDump[] {
    return this.items.map((v) => ({ key: new Uint8Array(0), value: v.slice() }));
  }
}
