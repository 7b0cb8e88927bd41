// The remaining helpers an XDP program can call: clocks, PRNG, CPU id, trace_printk, csum_diff,
// tail calls, bpf_loop, spin locks, ring buffers and perf events.
import { EINVAL, E2BIG } from '../maps/errno';
import { ProgArrayMap } from '../maps/progArray';
import { PerfEventArrayMap, RingBufMap } from '../maps/ringbuf';
import type { HelperFn, Machine, RunnableProgram } from '../vm/machine';
import { MAX_TAIL_CALLS, REGION_FUNC } from '../vm/machine';
import { ADDR_BASE } from '../vm/memory';
import { mapArg } from './mapHelpers';

const ret64 = (M: Machine, v: bigint): number => {
  M.rh = Number(BigInt.asIntN(32, v >> 32n));
  return Number(BigInt.asIntN(32, v));
};

export const bpf_ktime_get_ns: HelperFn = (M) => ret64(M, M.system.now());
export const bpf_ktime_get_boot_ns = bpf_ktime_get_ns;
export const bpf_ktime_get_coarse_ns = bpf_ktime_get_ns;
export const bpf_get_prandom_u32: HelperFn = (M) => {
  M.rh = 0;
  return M.system.random() | 0;
};
export const bpf_get_smp_processor_id: HelperFn = (M) => {
  M.rh = 0;
  return M.cpu;
};
export const bpf_get_numa_node_id: HelperFn = (M) => M.ret(0);

/** Reads a NUL-terminated string from program memory (for %s), at most 64 bytes. */
function readString(M: Machine, hi: number, lo: number): string {
  const r = M.R[hi];
  if (!r) return '(fault)';
  let s = '';
  for (let a = lo - ADDR_BASE; a >= r.lo && a < r.hi && s.length < 64; a++) {
    const c = r.u8[a] as number;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** bpf_trace_printk(fmt, fmt_size, a, b, c): the formatted line is captured (bpf_trace_printk's %d/%u/%x/%s/%p/%c family). */
export const bpf_trace_printk: HelperFn = (M, pc) => {
  const size = M.argLo(2) >>> 0;
  const fmtBytes = M.argMem(pc, 1, size, false, 'format string');
  const nul = fmtBytes.indexOf(0);
  if (nul < 0) return M.ret(-EINVAL);
  const fmt = String.fromCharCode(...fmtBytes.subarray(0, nul));
  let arg = 3;
  const line = fmt.replace(
    /%([-0-9]*)(ll|l|h|hh|z)?([diuxXpsc%])/g,
    (_all, _w: string, len: string | undefined, conv: string) => {
      if (conv === '%') return '%';
      if (arg > 5) return '';
      const hi = M.argHi(arg);
      const lo = M.argLo(arg);
      arg++;
      const u64 = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
      const wide = len === 'll' || len === 'l' || len === 'z';
      switch (conv) {
        case 'd':
        case 'i':
          return (wide ? BigInt.asIntN(64, u64) : BigInt(lo | 0)).toString();
        case 'u':
          return (wide ? u64 : BigInt(lo >>> 0)).toString();
        case 'x':
          return (wide ? u64 : BigInt(lo >>> 0)).toString(16);
        case 'X':
          return (wide ? u64 : BigInt(lo >>> 0)).toString(16).toUpperCase();
        case 'p':
          return `0x${u64.toString(16)}`;
        case 'c':
          return String.fromCharCode(lo & 0xff);
        default:
          return readString(M, hi, lo);
      }
    },
  );
  M.system.printk.push(line.replace(/\n$/, ''));
  return M.ret(line.length);
};

/** bpf_csum_diff: ones'-complement sum of ~from and to words plus seed, folded as the kernel returns it. */
export const bpf_csum_diff: HelperFn = (M, pc) => {
  const fromSize = M.argLo(2) >>> 0;
  const toSize = M.argLo(4) >>> 0;
  if (fromSize % 4 || toSize % 4 || fromSize + toSize > 512) return M.ret(-EINVAL);
  const from = M.argMem(pc, 1, fromSize, false, 'from');
  const to = M.argMem(pc, 3, toSize, false, 'to');
  let sum = M.argLo(5) >>> 0;
  const word = (b: Uint8Array, o: number): number =>
    ((b[o] as number) |
      ((b[o + 1] as number) << 8) |
      ((b[o + 2] as number) << 16) |
      ((b[o + 3] as number) << 24)) >>>
    0;
  for (let o = 0; o < fromSize; o += 4) sum += ~word(from, o) >>> 0;
  for (let o = 0; o < toSize; o += 4) sum += word(to, o);
  while (sum > 0xffffffff) sum = (sum % 0x100000000) + Math.floor(sum / 0x100000000);
  // The 6.18 x86 kernel returns the sum folded to 16 bits (end-around carry, not complemented):
  // verified by test/kernel/vmDifferential.test.ts (helpers.bpf.c writes the raw value out).
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  M.rh = 0;
  return sum | 0;
};

/** bpf_tail_call: jumps to prog_array[index] (never returns on success); at most 33 in a row. */
export const bpf_tail_call: HelperFn = (M, pc) => {
  const map = mapArg(M, pc, 2);
  if (!(map instanceof ProgArrayMap))
    return M.fault(pc, `bpf_tail_call: map '${map.name}' is not a PROG_ARRAY`);
  const target = map.target(M.argLo(3) >>> 0);
  if (!target || M.tailCount >= MAX_TAIL_CALLS) return M.ret(0);
  M.tailCount++;
  M.tail = target as unknown as RunnableProgram;
  return M.ret(0);
};

/** bpf_loop(nr, callback, ctx, flags): calls back until it returns non-zero; returns iterations run. */
export const bpf_loop: HelperFn = (M, pc) => {
  const nr = M.argLo(1) >>> 0;
  if (M.argHi(2) !== REGION_FUNC) M.fault(pc, 'bpf_loop: argument 2 is not a callback function');
  if (M.argLo(4) !== 0 || M.argHi(4) !== 0) return M.ret(-EINVAL);
  if (nr > 1 << 23) return M.ret(-E2BIG);
  const entry = M.argLo(2);
  const ctxH = M.argHi(3);
  const ctxL = M.argLo(3);
  for (let i = 0; i < nr; i++) {
    const r = M.invoke(pc, entry, [0, i, ctxH, ctxL]);
    if (r !== 0 || M.rh !== 0) return M.ret(i + 1);
    if (M.n > M.budget) M.outOfBudget(pc, M.n);
  }
  return M.ret(nr);
};

export const bpf_spin_lock: HelperFn = (M) => M.ret(0); // one CPU runs at a time in the VM
export const bpf_spin_unlock = bpf_spin_lock;

const ringbuf = (M: Machine, pc: number, i: number): RingBufMap => {
  const map = mapArg(M, pc, i);
  if (!(map instanceof RingBufMap)) M.fault(pc, `map '${map.name}' is not a RINGBUF`);
  return map;
};

export const bpf_ringbuf_output: HelperFn = (M, pc) => {
  const rb = ringbuf(M, pc, 1);
  const size = M.argLo(3) >>> 0;
  return M.ret(rb.output(M.argMem(pc, 2, size, false, 'data'), M.cpu));
};

export const bpf_ringbuf_reserve: HelperFn = (M, pc) => {
  const rb = ringbuf(M, pc, 1);
  if (M.argLo(3) !== 0) return M.ptr(undefined);
  return M.ptr(rb.reserve(M.argLo(2) >>> 0));
};

const commit =
  (keep: boolean): HelperFn =>
  (M, pc) => {
    const r = M.R[M.argHi(1)];
    const rb = r?.ref;
    if (!(rb instanceof RingBufMap) || !rb.commit(r!.id, keep, M.cpu))
      M.fault(pc, 'argument 1 is not a reserved ring buffer sample');
    return M.ret(0);
  };
export const bpf_ringbuf_submit = commit(true);
export const bpf_ringbuf_discard = commit(false);

export const bpf_perf_event_output: HelperFn = (M, pc) => {
  const map = mapArg(M, pc, 2);
  if (!(map instanceof PerfEventArrayMap)) return M.fault(pc, `map '${map.name}' is not a PERF_EVENT_ARRAY`);
  const size = M.argLo(5) >>> 0;
  return M.ret(map.output(M.argMem(pc, 4, size, false, 'data'), M.cpu));
};
