// Maps of the types the VM does not run (socket, cgroup, inode and task storage, stack traces,
// sockmaps, user ring buffers, arenas, bloom filters): created with the kernel's own BPF_MAP_CREATE
// rules, so an object declaring one loads as it does in Linux and the verifier judges its programs
// (check_map_func_compatibility decides what a program may do with them); from a program they hold
// nothing: a lookup finds NULL, an update or delete fails with EOPNOTSUPP.
import type { Region } from '../vm/memory';
import { BpfMap } from './bpfMap';
import type { MapDef, MapEntryDump } from './bpfMap';
import { E2BIG, EINVAL } from './errno';

const EOPNOTSUPP = 95;
const BPF_F_NO_PREALLOC = 1;
const BPF_F_NUMA_NODE = 4;
const BPF_F_RDONLY = 8;
const BPF_F_WRONLY = 16;
const BPF_F_STACK_BUILD_ID = 32;
const BPF_F_RDONLY_PROG = 128;
const BPF_F_WRONLY_PROG = 256;
const BPF_F_CLONE = 512;
const BPF_F_MMAPABLE = 1024;
const PAGE_SIZE = 4096;

/** Why the kernel refuses to create `def` (its errno and words), or undefined. */
type Check = (def: MapDef) => readonly [errno: number, why: string] | undefined;

const invalid = (why: string): readonly [number, string] => [EINVAL, why];
const pow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** sock_map_alloc / sock_hash_alloc: a socket's fd or cookie (4 or 8 bytes) per entry (a key above
 * MAX_BPF_STACK is createMap's E2BIG, as for every map). */
const sockMap =
  (fixedKey: boolean): Check =>
  (d) =>
    d.maxEntries === 0 || (fixedKey ? d.keySize !== 4 : d.keySize === 0)
      ? invalid(`needs max_entries ≥ 1 and ${fixedKey ? 'key_size 4' : 'a key_size'}`)
      : d.valueSize !== 4 && d.valueSize !== 8
        ? invalid('needs value_size 4 or 8 (a socket fd or cookie)')
        : undefined;

/** bpf_local_storage_map_alloc_check: storage lives in its owner, the map only names it. */
const localStorage: Check = (d) =>
  d.flags & ~(BPF_F_NO_PREALLOC | BPF_F_CLONE) || !(d.flags & BPF_F_NO_PREALLOC)
    ? invalid('needs map_flags BPF_F_NO_PREALLOC (and at most BPF_F_CLONE)')
    : d.maxEntries !== 0 || d.keySize !== 4
      ? invalid('needs max_entries 0 and key_size 4 (the owner is the key)')
      : d.valueSize === 0
        ? invalid('needs a value_size')
        : undefined;

/** cgroup_storage_map_alloc: keyed by struct bpf_cgroup_storage_key (16 bytes) or a cgroup id. */
const cgroupStorage: Check = (d) =>
  d.keySize !== 16 && d.keySize !== 8
    ? invalid('needs key_size 16 (struct bpf_cgroup_storage_key) or 8')
    : d.valueSize === 0
      ? invalid('needs a value_size')
      : d.valueSize > PAGE_SIZE
        ? [E2BIG, `value_size above ${PAGE_SIZE}`]
        : d.maxEntries !== 0
          ? invalid('needs max_entries 0 (one value per attached cgroup)')
          : d.flags & ~(BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)
            ? invalid(`map_flags 0x${d.flags.toString(16)} not accepted`)
            : undefined;

/** array_map_alloc_check: a 4-byte index over max_entries slots. */
const arrayLike = (valueOk: (v: number) => boolean, what: string): Check => {
  return (d) =>
    d.maxEntries === 0 || d.keySize !== 4
      ? invalid('needs max_entries ≥ 1 and key_size 4')
      : !valueOk(d.valueSize)
        ? invalid(`needs value_size ${what}`)
        : undefined;
};

/** By map type: the kernel's creation check of each type this file declares. */
const DECLARED: ReadonlyMap<number, Check> = new Map<number, Check>([
  // stack_map_alloc: frames of 8 bytes (or bpf_stack_build_id records of 32).
  [
    7,
    (d) =>
      d.flags & ~(BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_STACK_BUILD_ID)
        ? invalid(`map_flags 0x${d.flags.toString(16)} not accepted`)
        : d.maxEntries === 0 ||
            d.keySize !== 4 ||
            d.valueSize < 8 ||
            d.valueSize % (d.flags & BPF_F_STACK_BUILD_ID ? 32 : 8) !== 0
          ? invalid('needs key_size 4, max_entries ≥ 1 and value_size a multiple of 8')
          : undefined,
  ],
  [8, arrayLike((v) => v === 4, '4 (a cgroup fd)')], // CGROUP_ARRAY: fd_array_map_alloc_check
  [15, sockMap(true)], // SOCKMAP
  [18, sockMap(false)], // SOCKHASH
  [19, cgroupStorage], // CGROUP_STORAGE
  [20, arrayLike((v) => v === 4 || v === 8, '4 or 8 (a socket fd or cookie)')], // REUSEPORT_SOCKARRAY
  [21, cgroupStorage], // PERCPU_CGROUP_STORAGE
  [24, localStorage], // SK_STORAGE
  [28, localStorage], // INODE_STORAGE
  [29, localStorage], // TASK_STORAGE
  // bloom_map_alloc_check: keyless, values hashed into a bit array.
  [
    30,
    (d) =>
      d.keySize !== 0 || d.valueSize === 0 || d.maxEntries === 0
        ? invalid('needs key_size 0, a value_size and max_entries ≥ 1')
        : undefined,
  ],
  // ringbuf_map_alloc: the ring's size in bytes, a power-of-two number of pages.
  [
    31,
    (d) =>
      d.keySize !== 0 || d.valueSize !== 0
        ? invalid('takes no key or value')
        : !pow2(d.maxEntries) || d.maxEntries % PAGE_SIZE !== 0
          ? invalid('needs max_entries a power of two ≥ 4096 (the ring size in bytes)')
          : undefined,
  ],
  [32, localStorage], // CGRP_STORAGE
  // arena_map_alloc: max_entries pages, user space maps it (BPF_F_MMAPABLE).
  [
    33,
    (d) =>
      d.keySize !== 0 || d.valueSize !== 0 || d.maxEntries === 0
        ? invalid('needs key_size 0, value_size 0 and max_entries ≥ 1 (pages)')
        : !(d.flags & BPF_F_MMAPABLE)
          ? invalid('needs map_flags BPF_F_MMAPABLE')
          : undefined,
  ],
]);

/** Whether maps of type `type` are created here (the VM does not run them). */
export function isDeclaredMapType(type: number): boolean {
  return DECLARED.has(type);
}

/** The kernel's refusal of `def` (a declared map type), as [errno, why], or undefined. */
export function declaredMapRefusal(def: MapDef): readonly [number, string] | undefined {
  return DECLARED.get(def.type)?.(def);
}

export class DeclaredMap extends BpfMap {
  lookup(): Region | undefined {
    return undefined;
  }
  override update(): number {
    return -EOPNOTSUPP;
  }
  override delete(): number {
    return -EOPNOTSUPP;
  }
  userLookup(): Uint8Array | number {
    return -EOPNOTSUPP;
  }
  userUpdate(): number {
    return -EOPNOTSUPP;
  }
  userDelete(): number {
    return -EOPNOTSUPP;
  }
  dump(): MapEntryDump[] {
    return [];
  }
}
