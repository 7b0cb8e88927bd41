// Map helpers: lookup/update/delete, queue/stack push/pop/peek (include/uapi/linux/bpf.h). Map
// pointers arrive as regions of kind 'map'; keys and values are bounds-checked program memory.
import type { BpfMap } from '../maps/bpfMap';
import { QueueStackMap } from '../maps/queueStack';
import type { HelperFn, Machine } from '../vm/machine';

export function mapArg(M: Machine, pc: number, i: number): BpfMap {
  return M.argRegion(pc, i, 'map', 'map').ref as BpfMap;
}

const keyArg = (M: Machine, pc: number, map: BpfMap): Uint8Array =>
  M.argMem(pc, 2, map.def.keySize, false, 'map key');

export const bpf_map_lookup_elem: HelperFn = (M, pc) => {
  const map = mapArg(M, pc, 1);
  if (map.def.keySize === 4 && map.lookupU32)
    return M.ptr(map.lookupU32(M.argI32At(pc, 2, 'map key'), M.cpu));
  return M.ptr(map.lookup(keyArg(M, pc, map), M.cpu));
};

export const bpf_map_update_elem: HelperFn = (M, pc) => {
  const map = mapArg(M, pc, 1);
  const value = M.argMem(pc, 3, map.def.valueSize, false, 'map value');
  const flags = Number(M.argU64(4) & 0xffffffffn) + (M.argHi(4) !== 0 ? 8 : 0);
  return M.ret(map.update(keyArg(M, pc, map), value, flags, M.cpu));
};

export const bpf_map_delete_elem: HelperFn = (M, pc) => {
  const map = mapArg(M, pc, 1);
  return M.ret(map.delete(keyArg(M, pc, map)));
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
  return M.ptr(cpu < M.R.length ? map.lookup(keyArg(M, pc, map), cpu) : undefined);
};
