// The kernel's program tag (bpf_prog_calc_tag, kernel/bpf/core.c): the first 8 bytes of a digest of
// the instructions as loaded, with the map references' immediates zeroed (map fds are not stable).
// Linux 6.18 digests with SHA-256 (the tag is the start of prog->digest), older kernels with SHA-1.
import { sha1, sha256, toHex } from '../sha';
import { encodeInsns, type Insn } from '../vm/isa';

/** BPF_LD | BPF_IMM | BPF_DW. */
const LD_IMM64 = 0x18;
const PSEUDO_MAP_FD = 1;
const PSEUDO_MAP_VALUE = 2;

export interface ProgTags {
  /** Linux 6.18 and later. */
  sha256: string;
  /** Before 6.18. */
  sha1: string;
}

/**
 * The tags of a program whose instructions are linked as libbpf loads them (sub-programs appended,
 * ld_imm64 map references marked PSEUDO_MAP_FD / PSEUDO_MAP_VALUE). Like the kernel's loop: the
 * first half of a map ld_imm64 gets imm 0, and so does the second half (code 0, regs 0, off 0).
 */
export function progTags(insns: readonly Insn[]): ProgTags {
  const dst = insns.map((i) => ({ ...i }));
  let wasLdMap = false;
  for (const i of dst) {
    if (!wasLdMap && i.op === LD_IMM64 && (i.src === PSEUDO_MAP_FD || i.src === PSEUDO_MAP_VALUE)) {
      wasLdMap = true;
      i.imm = 0;
    } else if (wasLdMap && i.op === 0 && i.dst === 0 && i.src === 0 && i.off === 0) {
      wasLdMap = false;
      i.imm = 0;
    } else wasLdMap = false;
  }
  const bytes = encodeInsns(dst);
  return { sha256: toHex(sha256(bytes)).slice(0, 16), sha1: toHex(sha1(bytes)).slice(0, 16) };
}
