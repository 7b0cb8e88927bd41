// BPF_MAP_TYPE_PROG_ARRAY (kernel/bpf/arraymap.c): programs by slot for bpf_tail_call. User space
// stores program handles (the syscall takes fds); programs cannot look it up or update it.
import { BPF_EXIST, BPF_NOEXIST, BpfMap, u32At } from './bpfMap';
import type { MapDef, MapEntryDump, MapHost } from './bpfMap';
import { E2BIG, EEXIST, EINVAL, ENOENT } from './errno';

/** What a tail call needs of a program: its id (dumps) and being runnable by the VM. */
export interface TailCallTarget {
  readonly id: number;
}

export class ProgArrayMap extends BpfMap {
  /** Programs by slot, sparse: a big PROG_ARRAY costs its present entries only. */
  private readonly slots = new Map<number, TailCallTarget>();
  constructor(def: MapDef, host: MapHost) {
    super(def, host);
  }

  /** bpf_tail_call's lookup: the program in the slot, if any. */
  target(index: number): TailCallTarget | undefined {
    return index < this.def.maxEntries ? this.slots.get(index) : undefined;
  }

  lookup(): undefined {
    return undefined;
  }

  userLookup(key: Uint8Array): Uint8Array | number {
    const p = this.target(u32At(key));
    return p ? new Uint8Array(new Uint32Array([p.id]).buffer) : -ENOENT;
  }

  userUpdate(key: Uint8Array, value: unknown, flags: number): number {
    if (flags > BPF_EXIST || flags < 0) return -EINVAL;
    const i = u32At(key);
    if (i >= this.def.maxEntries) return -E2BIG;
    if (flags === BPF_NOEXIST) return -EEXIST;
    if (
      !value ||
      typeof value !== 'object' ||
      typeof (value as TailCallTarget).id !== 'number' ||
      value instanceof Uint8Array
    )
      return -EINVAL;
    this.slots.set(i, value as TailCallTarget);
    return 0;
  }

  userDelete(key: Uint8Array): number {
    const i = u32At(key);
    if (i >= this.def.maxEntries) return -E2BIG;
    if (!this.slots.delete(i)) return -ENOENT;
    return 0;
  }

  dump(): MapEntryDump[] {
    const out: MapEntryDump[] = [];
    for (const i of [...this.slots.keys()].sort((a, b) => a - b))
      out.push({
        key: new Uint8Array(new Uint32Array([i]).buffer),
        value: new Uint8Array(new Uint32Array([(this.slots.get(i) as TailCallTarget).id]).buffer),
      });
    return out;
  }
}
