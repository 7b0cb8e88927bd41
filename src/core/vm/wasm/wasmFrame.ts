// The signature, locals and imports of a compiled program's `run` function: where each register,
// counter and scratch value lives (wasmCompiler.ts emits it, wasmTier.ts calls it).

/** Imported functions, in index order (their JS side is wasmTier.ts). */
export const IMPORTS = ['call', 'ld', 'st', 'atomic', 'fault', 'budget', 'tailsub', 'lookup'] as const;
export const FN = Object.fromEntries(IMPORTS.map((n, i) => [n, i])) as Record<
  (typeof IMPORTS)[number],
  number
>;
export const RUN_FN = IMPORTS.length;

/** The stack frame of call depth 0 is region 1, the context region 10 (machine.ts). */
export const STACK0 = 1;
export const REGION_CTX = 10;

// Parameters of `run`, then locals.
export const P_BLK = 0;
export const P_MAIN = 1;
export const P_ARG = 2; // a1h, a1l … a5h, a5l: 2..11
export const P_BUDGET = 12;
export const P_N = 13;
export const P_D0 = 14;
export const R = (r: number): number => 15 + r; // r0..r10: 15..25
export const L_N = 26;
export const L_B = 27;
export const TEMP_I64 = 28; // i64 scratch
export const L_A = 29; // the offset of an access
export const L_T2 = 30;
export const I64_LOCALS = 16; // 15..30
export const L_DEPTH = 31; // i32 locals
export const L_H = 32; // the region id of an access
export const L_E = 33;
export const TEMP_I32 = 34; // and 35 for 32-bit divisors
export const L_FAULT_PC = 36; // the pc and message id of a fault, on the way to the exit block
export const L_FAULT_MSG = 37;
export const L_FLAG0 = 38; // one "written" flag per tracked register
export const I32_LOCALS = 7; // 31..37, then the flags
/** Message id of the budget fault (the `budget` import instead of `fault`). */
export const BUDGET_FAULT = -1;
