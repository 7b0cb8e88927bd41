// What the JS compiler knows about registers inside one basic block: a map pointer loaded by
// ld_imm64 (r1 of a helper call) and the frame pointer plus a constant (a key on the stack). The
// kernel's do_misc_fixups inlines map lookups from what the verifier knows of r1 (map_ptr_state);
// this is the block-local part of that knowledge the compiler can have without a verifier pass.
import * as I from './isa';
import type { Insn } from './isa';

/**
 * A register's known value: a map pointer (its region id), r10 + off, or `obj`: what a map lookup
 * or an acquiring kfunc returned, unchanged — a map value or a kernel object, or NULL, never the
 * context or the packet (the verifier's PTR_TO_MAP_VALUE_OR_NULL, PTR_TO_BTF_ID_OR_NULL from
 * check_helper_call / check_kfunc_call), so its loads and stores skip those two tests (jsAccess.ts).
 */
export type RegFact = { kind: 'map'; region: number } | { kind: 'fp'; off: number } | { kind: 'obj' };

const OBJ: RegFact = { kind: 'obj' };

/** The facts of r0–r9 at the current instruction of a block (call reset() at every label). */
export class BlockFacts {
  private readonly facts: (RegFact | undefined)[] = new Array<RegFact | undefined>(11).fill(undefined);

  /** A label: control may arrive from elsewhere, nothing is known. */
  reset(): void {
    this.facts.fill(undefined);
  }

  /** What is known of register r. */
  get(r: number): RegFact | undefined {
    return this.facts[r];
  }

  /**
   * Follows instruction `i` (`mapRegion`: the region id of the map an ld_imm64 loads a pointer to,
   * when it does, with offset 0; `returnsObj`: `i` is a call whose r0 is an `obj`). Anything that
   * writes a register it does not recognise forgets it.
   */
  observe(i: Insn, mapRegion: number | undefined, returnsObj = false): void {
    const f = this.facts;
    const cls = I.opClass(i.op);
    if (I.isLdImm64(i)) {
      f[i.dst] = mapRegion !== undefined ? { kind: 'map', region: mapRegion } : undefined;
      return;
    }
    if (cls === I.BPF_ALU64) {
      const code = i.op & 0xf0;
      const x = (i.op & I.BPF_X) !== 0;
      const d = f[i.dst];
      if (code === I.ALU_MOV && x && i.off === 0) f[i.dst] = i.src === 10 ? { kind: 'fp', off: 0 } : f[i.src];
      else if (code === I.ALU_ADD && !x && d?.kind === 'fp') f[i.dst] = { kind: 'fp', off: d.off + i.imm };
      else if (code === I.ALU_SUB && !x && d?.kind === 'fp') f[i.dst] = { kind: 'fp', off: d.off - i.imm };
      else f[i.dst] = undefined;
      return;
    }
    if (cls === I.BPF_ALU || cls === I.BPF_LDX) {
      f[i.dst] = undefined;
      return;
    }
    if (cls === I.BPF_STX && (i.op & 0xe0) === I.BPF_ATOMIC) {
      // The fetching forms write src; cmpxchg writes r0.
      f[i.src] = undefined;
      f[0] = undefined;
      return;
    }
    if (cls === I.BPF_JMP && (i.op & 0xf0) === I.JMP_CALL) {
      for (let r = 1; r <= 5; r++) f[r] = undefined;
      f[0] = returnsObj ? OBJ : undefined;
    }
  }
}
