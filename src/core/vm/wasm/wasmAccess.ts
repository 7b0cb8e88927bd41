// Loads and stores of the wasm tier: the inline bounds check against the region table, the access
// in linear memory, the context image for xdp_md reads, and the JS slow path (map values, faults).
import { ADDR_BASE, REGION_STACK0, STACK_SIZE } from '../memory';
import type { ByteSink } from './wasmEmitter';
import { Op, VOID } from './wasmEmitter';
import { FN, L_A, L_E, L_H, L_T2, REGION_CTX, TEMP_I32 } from './wasmFrame';
import * as W from './wasmLayout';

const L_T32 = TEMP_I32;

/**
 * Calls import `fn` (its arguments already pushed), first marking SLOT_CALLED: the in-module
 * test-run loop (wasmCompiler.ts emitRepeat) hands the next repetition back to JS after it.
 */
export function callImport(c: ByteSink, fn: number): void {
  c.i32(0).i32(1).mem(Op.i32Store, W.SLOT_CALLED);
  c.call(fn);
}

/** The i64 load of `size` bytes, sign- or zero-extending (BPF_LDX | BPF_MEM / BPF_MEMSX). */
function loadOp(size: number, sx: boolean): number {
  if (size === 8) return Op.i64Load;
  if (size === 4) return sx ? Op.i64Load32S : Op.i64Load32U;
  if (size === 2) return sx ? Op.i64Load16S : Op.i64Load16U;
  return sx ? Op.i64Load8S : Op.i64Load8U;
}

/** The i64 store of the low `size` bytes (BPF_STX / BPF_ST | BPF_MEM). */
function storeOp(size: number): number {
  return size === 8 ? Op.i64Store : size === 4 ? Op.i64Store32 : size === 2 ? Op.i64Store16 : Op.i64Store8;
}

/** Pushes (h, lo, off) of an access through `reg`: the slow paths' (and atomics') address arguments. */
export function emitAtomicAddress(c: ByteSink, reg: number, off: number): void {
  c.get(reg).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64);
  c.get(reg).op(Op.i32WrapI64).i32(off);
}

/**
 * A load into `load` or a store of `store` through `base + off`: the inline bounds check against
 * the region table (lo ≤ a, a + size ≤ hi or whi, in 64-bit arithmetic so no offset wraps), the
 * access at base + a, or the JS slow path (context rewrite, map values, faults).
 */
export function emitAccess(
  c: ByteSink,
  pc: number,
  size: number,
  base: number,
  off: number,
  what: { load: number; sx: boolean } | { store: { imm: number } | { reg: number } },
): void {
  const isLoad = 'load' in what;
  if (isLoad && size === 4 && !what.sx && off >= 0 && off <= 4 * (W.CTX_FIELDS - 1) && (off & 3) === 0) {
    // A read of an xdp_md field through the context pointer as the program received it (r1 at
    // entry: REGION_CTX : ADDR_BASE, one i64 compare) comes from the image at a constant address
    // before anything else, as xdp_convert_ctx_access turns it into one load; the region-table
    // check below ran first and cost ~30 instructions more per read (callgrind, the parser).
    c.op(Op.block).byte(VOID); // done
    c.op(Op.block).byte(VOID); // not the context as received
    c.get(base)
      .i64((BigInt(REGION_CTX) << 32n) | BigInt(ADDR_BASE))
      .op(Op.i64Ne)
      .brIf(0);
    c.i32(0).mem(Op.i32Load, W.CTX_VALID).op(Op.i32Eqz).brIf(0);
    c.i32(0)
      .mem(Op.i64Load, W.CTX_IMAGE + 2 * off)
      .set(what.load);
    c.br(1);
    c.op(Op.end);
    emitGenericAccess(c, pc, size, base, off, what);
    c.op(Op.end);
    return;
  }
  emitGenericAccess(c, pc, size, base, off, what);
}

/** emitAccess's region-table path (and the context image's for any address, then the JS slow path). */
function emitGenericAccess(
  c: ByteSink,
  pc: number,
  size: number,
  base: number,
  off: number,
  what: { load: number; sx: boolean } | { store: { imm: number } | { reg: number } },
): void {
  const isLoad = 'load' in what;
  const value = (): void => {
    if (isLoad) return;
    if ('imm' in what.store) c.i64(what.store.imm);
    else c.get(what.store.reg);
  };
  c.op(Op.block).byte(VOID); // done
  c.op(Op.block).byte(VOID); // slow
  c.get(base).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64).tee(L_H);
  c.i32(W.TABLE_REGIONS).op(Op.i32GeU).brIf(0);
  c.get(L_H).i32(4).op(Op.i32Shl).set(L_E);
  c.get(base)
    .op(Op.i32WrapI64)
    .op(Op.i64ExtendI32S)
    .i64(off - ADDR_BASE)
    .op(Op.i64Add)
    .tee(L_A);
  c.get(L_E)
    .mem(Op.i64Load32S, W.REGION_TABLE + 4)
    .op(Op.i64LtS)
    .brIf(0);
  c.get(L_A).i64(size).op(Op.i64Add);
  c.get(L_E)
    .mem(Op.i64Load32S, W.REGION_TABLE + (isLoad ? 8 : 12))
    .op(Op.i64GtS)
    .brIf(0);
  c.get(L_A).op(Op.i32WrapI64).get(L_E).mem(Op.i32Load, W.REGION_TABLE).op(Op.i32Add);
  if (isLoad) {
    c.mem(loadOp(size, what.sx)).set(what.load);
  } else {
    value();
    c.mem(storeOp(size));
  }
  c.br(1);
  c.op(Op.end); // slow path:
  if (isLoad && size === 4 && !what.sx) {
    // The context rewrite of an aligned 4-byte field, from the context image.
    c.op(Op.block).byte(VOID);
    c.get(L_H).i32(REGION_CTX).op(Op.i32Ne).brIf(0);
    c.i32(0).mem(Op.i32Load, W.CTX_VALID).op(Op.i32Eqz).brIf(0);
    c.get(L_A).i64(0).op(Op.i64LtS).brIf(0);
    c.get(L_A)
      .i64(4 * (W.CTX_FIELDS - 1))
      .op(Op.i64GtS)
      .brIf(0);
    c.get(L_A).op(Op.i32WrapI64).tee(L_E).i32(3).op(Op.i32And).brIf(0);
    c.get(L_E).i32(1).op(Op.i32Shl).mem(Op.i64Load, W.CTX_IMAGE).set(what.load);
    c.br(1);
    c.op(Op.end);
  }
  if (isLoad) {
    c.i32(pc)
      .i32(size)
      .i32(what.sx ? 1 : 0);
    emitAtomicAddress(c, base, off);
    callImport(c, FN.ld);
    c.set(L_T32);
    c.i32(0).mem(Op.i64Load32S, W.SLOT_RH).i64(32).op(Op.i64Shl);
    c.get(L_T32).op(Op.i64ExtendI32U).op(Op.i64Or).set(what.load);
  } else {
    c.i32(pc).i32(size);
    emitAtomicAddress(c, base, off);
    value();
    c.set(L_T2);
    c.get(L_T2).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64).get(L_T2).op(Op.i32WrapI64);
    callImport(c, FN.st);
  }
  c.op(Op.end);
}

/**
 * A load or store through r10 at a constant offset inside the frame (`frameOff` = 512 + off, the
 * access within [0, 512)): no region table and no bounds check, as the JS tier's (jsAccess.ts) —
 * the verifier's check_stack_access, done at compile time. r10's region id is the frame's
 * (REGION_STACK0 + depth), whose bytes sit at STACK_AREA + depth * 512 (wasmEnv.ts remap).
 */
export function emitFrameAccess(
  c: ByteSink,
  size: number,
  fp: number,
  frameOff: number,
  what: { load: number; sx: boolean } | { store: { imm: number } | { reg: number } },
): void {
  // (id << 9) + STACK_AREA - REGION_STACK0 * 512 + frameOff: the id's frame, at frameOff.
  c.get(fp).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64).i32(9).op(Op.i32Shl);
  const at = W.STACK_AREA - REGION_STACK0 * STACK_SIZE + frameOff;
  if ('load' in what) {
    c.mem(loadOp(size, what.sx), at).set(what.load);
    return;
  }
  if ('imm' in what.store) c.i64(what.store.imm);
  else c.get(what.store.reg);
  c.mem(storeOp(size), at);
}

/**
 * A plain atomic add (BPF_ATOMIC | BPF_ADD without FETCH: counters, the common case) inline when
 * the target is in linear memory and writable, as the JS tier does (jsAccess.ts); `slow` emits the
 * `atomic` import's call (Machine.atomic: faults, the packet's first write, the rest).
 */
export function emitAtomicAdd(
  c: ByteSink,
  size: number,
  base: number,
  off: number,
  src: number,
  slow: () => void,
): void {
  c.op(Op.block).byte(VOID); // done
  c.op(Op.block).byte(VOID); // slow
  c.get(base).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64).tee(L_H);
  c.i32(W.TABLE_REGIONS).op(Op.i32GeU).brIf(0);
  c.get(L_H).i32(4).op(Op.i32Shl).set(L_E);
  c.get(base)
    .op(Op.i32WrapI64)
    .op(Op.i64ExtendI32S)
    .i64(off - ADDR_BASE)
    .op(Op.i64Add)
    .tee(L_A);
  c.get(L_E)
    .mem(Op.i64Load32S, W.REGION_TABLE + 4)
    .op(Op.i64LtS)
    .brIf(0);
  c.get(L_A).i64(size).op(Op.i64Add);
  c.get(L_E)
    .mem(Op.i64Load32S, W.REGION_TABLE + 12)
    .op(Op.i64GtS)
    .brIf(0);
  c.get(L_A).op(Op.i32WrapI64).get(L_E).mem(Op.i32Load, W.REGION_TABLE).op(Op.i32Add).tee(L_E);
  c.get(L_E);
  if (size === 8) c.mem(Op.i64Load).get(src).op(Op.i64Add).mem(Op.i64Store);
  else c.mem(Op.i32Load).get(src).op(Op.i32WrapI64).op(Op.i32Add).mem(Op.i32Store);
  c.br(1);
  c.op(Op.end); // slow path:
  slow();
  c.op(Op.end);
}

/**
 * bpf_map_lookup_elem inline for arrays whose lookups may be (MAP_DESC, wasmTier.ts): the map
 * pointer in r1 names a described map, the key is 4 readable bytes at r2, index ≥ max_entries is
 * NULL, else the remembered pointer; anything else (or a pointer not made yet) takes `slow`, the
 * `lookup` import, which remembers it. The answer goes to `r0`.
 */
export function emitArrayLookup(c: ByteSink, r0: number, r1: number, r2: number, slow: () => void): void {
  const KEY = TEMP_I32;
  const DESC = TEMP_I32 + 1;
  c.op(Op.block).byte(VOID); // done
  c.op(Op.block).byte(VOID); // slow
  c.get(r1).op(Op.i32WrapI64).i32(ADDR_BASE).op(Op.i32Ne).brIf(0);
  c.get(r1).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64).tee(L_H);
  c.i32(W.TABLE_REGIONS).op(Op.i32GeU).brIf(0);
  c.get(L_H).i32(4).op(Op.i32Shl).tee(DESC);
  c.mem(Op.i32Load, W.MAP_DESC).op(Op.i32Eqz).brIf(0);
  // The key: 4 bytes through the region table, as a load would read them.
  c.get(r2).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64).tee(L_H);
  c.i32(W.TABLE_REGIONS).op(Op.i32GeU).brIf(0);
  c.get(L_H).i32(4).op(Op.i32Shl).set(L_E);
  c.get(r2).op(Op.i32WrapI64).op(Op.i64ExtendI32S).i64(-ADDR_BASE).op(Op.i64Add).tee(L_A);
  c.get(L_E)
    .mem(Op.i64Load32S, W.REGION_TABLE + 4)
    .op(Op.i64LtS)
    .brIf(0);
  c.get(L_A).i64(4).op(Op.i64Add);
  c.get(L_E)
    .mem(Op.i64Load32S, W.REGION_TABLE + 8)
    .op(Op.i64GtS)
    .brIf(0);
  c.get(L_A).op(Op.i32WrapI64).get(L_E).mem(Op.i32Load, W.REGION_TABLE).op(Op.i32Add);
  c.mem(Op.i32Load).set(KEY);
  // index ≥ max_entries: NULL (array_map_gen_lookup's bounds check).
  c.get(KEY)
    .get(DESC)
    .mem(Op.i32Load, W.MAP_DESC + 4)
    .op(Op.i32GeU)
    .op(Op.if)
    .byte(VOID);
  c.i64(0).set(r0).br(2);
  c.op(Op.end);
  // table + (key + cpu * stride) * 8
  c.get(DESC).mem(Op.i32Load, W.MAP_DESC);
  c.get(KEY)
    .i32(0)
    .mem(Op.i32Load, W.SLOT_CPU)
    .get(DESC)
    .mem(Op.i32Load, W.MAP_DESC + 8)
    .op(Op.i32Mul);
  c.op(Op.i32Add).i32(3).op(Op.i32Shl).op(Op.i32Add);
  c.mem(Op.i64Load).tee(r0).op(Op.i64Eqz).brIf(0);
  c.br(1);
  c.op(Op.end); // slow path:
  slow();
  c.op(Op.end);
}

/**
 * bpf_redirect_map's hit inline (REDIR_DESC, wasmEnv.ts): r1 names a described redirect map, the
 * flags in r3 hold nothing but an action (no broadcast, nothing invalid), and the slot of r2's low
 * word is present: r0 = XDP_REDIRECT, and the call goes into SLOT_REDIR_* for the JS side to
 * write the run's redirect record with (wasmTier.ts commitRedirect, redirectMapDirect's step 4).
 * Anything else — a miss (its fallback action and note), other flags or maps — takes `slow`.
 */
export function emitRedirectHit(
  c: ByteSink,
  r0: number,
  r1: number,
  r2: number,
  r3: number,
  slow: () => void,
): void {
  const KEY = TEMP_I32;
  const DESC = TEMP_I32 + 1;
  c.op(Op.block).byte(VOID); // done
  c.op(Op.block).byte(VOID); // slow
  c.get(r1).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64).tee(L_H);
  c.i32(W.TABLE_REGIONS).op(Op.i32GeU).brIf(0);
  c.get(L_H).i32(4).op(Op.i32Shl).tee(DESC);
  c.mem(Op.i32Load, W.REDIR_DESC).op(Op.i32Eqz).brIf(0);
  // flags & ~REDIRECT_ACTION_MASK (3), all 64 bits: the helper's step 1 and broadcast.
  c.get(r3).i64(-4).op(Op.i64And).op(Op.i64Eqz).op(Op.i32Eqz).brIf(0);
  // The key truncated to 32 bits (step 2), past max_entries or absent: a miss.
  c.get(r2).op(Op.i32WrapI64).tee(KEY);
  c.get(DESC)
    .mem(Op.i32Load, W.REDIR_DESC + 4)
    .op(Op.i32GeU)
    .brIf(0);
  c.get(DESC).mem(Op.i32Load, W.REDIR_DESC).get(KEY).op(Op.i32Add);
  c.mem(Op.i64Load8U).op(Op.i64Eqz).brIf(0);
  c.i32(0).i32(1).mem(Op.i32Store, W.SLOT_REDIR_PENDING);
  c.i32(0).get(L_H).mem(Op.i32Store, W.SLOT_REDIR_MAP);
  c.i32(0).get(KEY).mem(Op.i32Store, W.SLOT_REDIR_KEY_LO);
  c.i32(0).get(r2).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64).mem(Op.i32Store, W.SLOT_REDIR_KEY_HI);
  c.i32(0).get(r3).op(Op.i32WrapI64).mem(Op.i32Store, W.SLOT_REDIR_FLAGS);
  c.i64(4).set(r0); // XDP_REDIRECT
  c.br(1);
  c.op(Op.end); // slow path:
  slow();
  c.op(Op.end);
}
