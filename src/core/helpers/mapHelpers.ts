// Map helpers: lookup/update/delete, queue/stack push/pop/peek (include/uapi/linux/bpf.h). Map
// pointers arrive as regions of kind 'map'; keys and values are bounds-checked program memory,
// handed to the map as (buffer, offset) so the hot path allocates nothing.
import type { BpfMap } from '../maps/bpfMap';
import { MapMemoryError } from '../maps/mapMemory';
import { QueueStackMap } from '../maps/queueStack';
import type { HelperFn, Machine } from '../vm/machine';
import { ADDR_BASE } from '../vm/memory';
import type { Region } from '../vm/memory';

export function mapArg(M: Machine, pc: number, i: number): BpfMap {
  return M.argRegion(pc, i, 'map', 'map').ref as BpfMap;
}

/**
 * Offset of argument i's `size` readable bytes in its region's u8 (the region is M.R[M.argHi(i)]);
 * faults like the verifier's check_helper_mem_access when out of bounds.
 */
function argOffset(M: Machine, pc: number, i: number, size: number, what: string): number {
  const m = M.R[M.argHi(i)];
  const a = M.argLo(i) - ADDR_BASE;
  if (m === undefined || a < m.lo || a + size > m.hi) M.argMem(pc, i, size, false, what); // faults
  return a;
}

/** A map running out of the VM's memory budget faults the run with the map's name and size. */
function outOfMemory(M: Machine, pc: number, e: unknown): never {
  if (e instanceof MapMemoryError) M.fault(pc, e.message);
  throw e;
}

export const bpf_map_lookup_elem: HelperFn = (M, pc) => {
  const map = mapArg(M, pc, 1);
  const ko = argOffset(M, pc, 2, map.def.keySize, 'map key');
  try {
    return M.ptr(map.lookupAt(M.R[M.argHi(2)] as Region, ko, M.cpu));
  } catch (e) {
    return outOfMemory(M, pc, e);
  }
};

export const bpf_map_update_elem: HelperFn = (M, pc) => {
  const map = mapArg(M, pc, 1);
  const ko = argOffset(M, pc, 2, map.def.keySize, 'map key');
  const vo = argOffset(M, pc, 3, map.def.valueSize, 'map value');
  const flags = (M.argLo(4) >>> 0) + (M.argHi(4) !== 0 ? 8 : 0);
  try {
    return M.ret(map.updateAt(M.R[M.argHi(2)] as Region, ko, M.R[M.argHi(3)] as Region, vo, flags, M.cpu));
  } catch (e) {
    return outOfMemory(M, pc, e);
  }
};

export const bpf_map_delete_elem: HelperFn = (M, pc) => {
  const map = mapArg(M, pc, 1);
  const ko = argOffset(M, pc, 2, map.def.keySize, 'map key');
  return M.ret(map.deleteAt(M.R[M.argHi(2)] as Region, ko));
};

const queue = (M: Machine, pc: number): QueueStackMap => {
  const map = mapArg(M, pc, 1);
  if (!(map instanceof QueueStackMap)) M.fault(pc, `map '${map.name}' is not a QUEUE or STACK`);
  return map;
};

export const bpf_map_push_elem: HelperFn = (M, pc) => {
  const q = queue(M, pc);
  return M.ret(q.push(M.argMem(pc, 2, q.def.valueSize, false, 'value'), M.argLo(3)));
};

const take =
  (remove: boolean): HelperFn =>
  (M, pc) => {
    const q = queue(M, pc);
    const out = M.argMem(pc, 2, q.def.valueSize, true, 'value buffer');
    const v = q.take(remove);
    if (typeof v === 'number') return M.ret(v);
    out.set(v);
    return M.ret(0);
  };
export const bpf_map_pop_elem = take(true);
export const bpf_map_peek_elem = take(false);

export const bpf_map_lookup_percpu_elem: HelperFn = (M, pc) => {
  const map = mapArg(M, pc, 1);
  const cpu = M.argLo(3) >>> 0;
  // bpf_map_lookup_percpu_elem: a CPU at or past nr_cpu_ids finds nothing.
  const cpus = (M.system as { possibleCpus?: number }).possibleCpus ?? 1;
  const ko = argOffset(M, pc, 2, map.def.keySize, 'map key');
  try {
    return M.ptr(cpu < cpus ? map.lookupAt(M.R[M.argHi(2)] as Region, ko, cpu) : undefined);
  } catch (e) {
    return outOfMemory(M, pc, e);
  }
};
