// The helpers that call a callback sub-program, and which of them call it synchronously
// (verifier.c is_sync_callback_calling_insn): a table of its own, because check_cfg (cfg.ts) and the
// precision backtracking (precision.ts) ask it while callbacks.ts, which verifies the callback, uses
// both of them.
import { helperByName } from '../bpf/helperCatalog';

/** What the callback is called with, per helper. */
export type CallbackKind = 'loop' | 'map_elem' | 'timer' | 'user_ringbuf';

const helperId = (name: string): number => helperByName(name)?.id ?? -1;
export const CALLBACK_KINDS = new Map<number, { kind: CallbackKind; funcArg: number }>([
  [helperId('bpf_loop'), { kind: 'loop', funcArg: 2 }],
  [helperId('bpf_for_each_map_elem'), { kind: 'map_elem', funcArg: 2 }],
  [helperId('bpf_timer_set_callback'), { kind: 'timer', funcArg: 2 }],
  [helperId('bpf_user_ringbuf_drain'), { kind: 'user_ringbuf', funcArg: 2 }],
]);

/**
 * is_sync_callback_calling_insn: a helper call whose callback runs an unknown number of times
 * (bpf_loop, bpf_for_each_map_elem, bpf_user_ringbuf_drain); check_cfg forces a checkpoint there (mark_force_checkpoint).
 */
export function callsSyncCallback(op: number, src: number, imm: number): boolean {
  const k = op === 0x85 && src === 0 ? CALLBACK_KINDS.get(imm) : undefined;
  return k !== undefined && k.kind !== 'timer';
}
