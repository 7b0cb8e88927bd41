// sizeof for the C types BPF map definitions use, so key/value sizes can be checked without clang.
// Unknown types give undefined: a check that cannot know stays silent (no false positives).

const scalar: Record<string, number> = {
  char: 1,
  'signed char': 1,
  'unsigned char': 1,
  __u8: 1,
  __s8: 1,
  u8: 1,
  s8: 1,
  uint8_t: 1,
  int8_t: 1,
  bool: 1,
  _Bool: 1,
  short: 2,
  'unsigned short': 2,
  __u16: 2,
  __s16: 2,
  __be16: 2,
  __le16: 2,
  u16: 2,
  s16: 2,
  uint16_t: 2,
  int16_t: 2,
  int: 4,
  'unsigned int': 4,
  unsigned: 4,
  __u32: 4,
  __s32: 4,
  __be32: 4,
  __le32: 4,
  __wsum: 4,
  u32: 4,
  s32: 4,
  uint32_t: 4,
  int32_t: 4,
  float: 4,
  long: 8,
  'unsigned long': 8,
  'long long': 8,
  'unsigned long long': 8,
  __u64: 8,
  __s64: 8,
  __be64: 8,
  __le64: 8,
  u64: 8,
  s64: 8,
  uint64_t: 8,
  int64_t: 8,
  double: 8,
  size_t: 8,
  'struct bpf_devmap_val': 8,
  'struct bpf_cpumap_val': 8,
};

export interface StructLayout {
  readonly size: number;
  readonly align: number;
  /** Bytes no member covers (alignment holes and tail padding). */
  readonly padding: number;
}

/** Size of a type name; `structs` holds layouts of structs defined in the file. Arrays `T[N]` are handled. */
export function sizeOfType(type: string, structs: ReadonlyMap<string, StructLayout>): number | undefined {
  const t = type
    .replace(/\bconst\b|\bvolatile\b/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (t.endsWith('*')) return 8;
  const arr = /^(.*)\[(\d+)\]$/.exec(t);
  if (arr) {
    const el = sizeOfType(arr[1] ?? '', structs);
    return el === undefined ? undefined : el * Number(arr[2]);
  }
  return scalar[t] ?? structs.get(t)?.size;
}

export function alignOfType(type: string, structs: ReadonlyMap<string, StructLayout>): number | undefined {
  const t = type
    .replace(/\bconst\b|\bvolatile\b/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const arr = /^(.*)\[(\d+)\]$/.exec(t);
  if (arr) return alignOfType(arr[1] ?? '', structs);
  const s = structs.get(t);
  if (s) return s.align;
  const n = sizeOfType(t, structs);
  return n === undefined ? undefined : Math.min(n, 8);
}

/** C layout of a struct from its member types in order (no bit-fields); `packed`: no alignment. */
export function layoutStruct(
  memberTypes: readonly string[],
  structs: ReadonlyMap<string, StructLayout>,
  packed = false,
): StructLayout | undefined {
  let off = 0;
  let align = 1;
  let covered = 0;
  for (const m of memberTypes) {
    const size = sizeOfType(m, structs);
    const a = packed ? 1 : alignOfType(m, structs);
    if (size === undefined || a === undefined) return undefined;
    off = Math.ceil(off / a) * a + size;
    align = Math.max(align, a);
    // A member struct's own padding is padding of this one too.
    covered += size - (structs.get(m.replace(/\bconst\b|\bvolatile\b/g, '').trim())?.padding ?? 0);
  }
  const size = Math.ceil(off / align) * align;
  return { size, align, padding: size - covered };
}
