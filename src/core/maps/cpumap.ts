// BPF_MAP_TYPE_CPUMAP (kernel/bpf/cpumap.c): redirect targets that are CPUs, each with a ring of
// qsize frames and an optional SEC("xdp/cpumap") program. User-space rules and errnos:
// redirect-semantics.md §1.3 "CPUMAP" (any entry-creation failure is ENOMEM).
import type { XdpProgramHandle } from '../vm/xdpRun';
import { BPF_EXIST, BPF_NOEXIST, u32At } from './bpfMap';
import { RedirectSlotMap } from './redirectSlotMap';
import type { MapDef, MapHost } from './bpfMap';
import { E2BIG, EEXIST, EINVAL, ENODEV, ENOENT, ENOMEM, EOVERFLOW } from './errno';
import { ownerCompatible } from './redirectMapEnv';
import type { MapOwner } from './redirectMapEnv';

/** One CPUMAP slot as the simulator reads it through RedirectInfo.tgtValue. */
export interface CpumapEntry {
  cpu: number;
  /** Ring size in frames. */
  qsize: number;
  prog?: XdpProgramHandle;
}

/** What user space writes (struct bpf_cpumap_val with the program as a handle instead of an fd). */
export interface CpumapValue {
  qsize: number;
  prog?: XdpProgramHandle;
  progFd?: number;
}

/** §1.3: qsize above this is EOVERFLOW. */
export const CPUMAP_MAX_QSIZE = 16384;

function cpumapValueOf(value: unknown): CpumapValue | undefined {
  if (value instanceof Uint8Array) {
    if (value.length < 4) return undefined;
    const fd = value.length >= 8 ? new DataView(value.buffer, value.byteOffset).getInt32(4, true) : 0;
    return { qsize: u32At(value), progFd: fd };
  }
  if (value && typeof value === 'object' && typeof (value as CpumapValue).qsize === 'number')
    return value as CpumapValue;
  return undefined;
}

function valueBytes(e: CpumapEntry, valueSize: number): Uint8Array {
  const b = new Uint8Array(valueSize);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, e.qsize, true);
  if (valueSize >= 8) dv.setUint32(4, e.prog?.id ?? 0, true);
  return b;
}

export class CpuMap extends RedirectSlotMap<CpumapEntry> {
  owner: MapOwner | undefined;

  constructor(def: MapDef, host: MapHost) {
    super(def, host);
  }

  /** The verifier lets XDP programs only redirect into a CPUMAP, never look it up (§1.3). */
  lookup(): undefined {
    return undefined;
  }

  userLookup(key: Uint8Array): Uint8Array | number {
    const i = u32At(key);
    const e = i < this.def.maxEntries ? this.slotAt(i) : undefined;
    return e ? valueBytes(e, this.def.valueSize) : -ENOENT;
  }

  /** §1.3 CPUMAP rules 1–7, in the kernel's order. */
  userUpdate(key: Uint8Array, value: unknown, flags: number): number {
    const v = cpumapValueOf(value);
    if (!v) return -EINVAL;
    if (flags > BPF_EXIST || flags < 0) return -EINVAL;
    const cpu = u32At(key);
    if (cpu >= this.def.maxEntries) return -E2BIG;
    if (flags === BPF_NOEXIST) return -EEXIST;
    if (v.qsize > CPUMAP_MAX_QSIZE) return -EOVERFLOW;
    if (cpu >= this.host.possibleCpus) return -ENODEV;
    if (v.qsize === 0) {
      this.setSlot(cpu, undefined);
      return 0;
    }
    if (v.prog) {
      if (this.def.valueSize < 8 || v.prog.attach !== 'cpumap' || !ownerCompatible(this.owner, v.prog))
        return -ENOMEM;
    } else if ((v.progFd ?? 0) > 0) return -ENOMEM;
    this.setSlot(cpu, { cpu, qsize: v.qsize, ...(v.prog ? { prog: v.prog } : {}) });
    return 0;
  }

  userDelete(key: Uint8Array): number {
    const i = u32At(key);
    if (i >= this.def.maxEntries) return -EINVAL;
    this.setSlot(i, undefined);
    return 0;
  }

  protected dumpValue(e: CpumapEntry): Uint8Array {
    return valueBytes(e, this.def.valueSize);
  }
}
