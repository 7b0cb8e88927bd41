// Packet ranges learnt from comparing packet pointers (verifier.c try_match_pkt_pointers →
// find_good_pkt_pointers for every pointer with the same id, mark_pkt_end for the one compared
// beyond or at data_end); `data_meta` against `data` the same way.
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { MAX_PACKET_OFF } from './memAccess';
import type { Reg } from './regState';
import { AT_PKT_END, BEYOND_PKT_END } from './regState';
import type { VState } from './state';

/** find_good_pkt_pointers */
function findGoodPktPointers(st: VState, dst: Reg, rightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rightOpen)) return;
  const umax = dst.umaxL >>> 0;
  if (dst.umaxH !== 0 || umax > MAX_PACKET_OFF || umax + dst.off > MAX_PACKET_OFF) return;
  const newRange = dst.off + (rightOpen ? 1 : 0);
  const { type, id } = dst;
  st.forEachRegWhere(
    (r) => r.type === type && r.id === id && r.range < newRange,
    (r) => {
      r.range = newRange;
    },
  );
}

/** mark_pkt_end */
function markPktEnd(st: VState, regno: number, open: boolean): void {
  const r = st.cur.reg(regno);
  if (r.type !== 'pkt') return;
  r.range = open ? BEYOND_PKT_END : AT_PKT_END;
}

const initPkt = (r: Reg, type: Reg['type']): boolean =>
  r.type === type &&
  r.id === 0 &&
  r.off === 0 &&
  (r.varOff.vh | r.varOff.vl | r.varOff.mh | r.varOff.ml) === 0;

/** try_match_pkt_pointers: `this` is the fall-through state, `other` the taken one. */
export function matchPktPointers(insn: Insn, d: Reg, s: Reg, self: VState, other: VState): boolean {
  if (!(insn.op & I.BPF_X) || (insn.op & 7) === I.BPF_JMP32) return false;
  const fwd = (d.type === 'pkt' && s.type === 'pkt_end') || (d.type === 'pkt_meta' && initPkt(s, 'pkt'));
  const back = (d.type === 'pkt_end' && s.type === 'pkt') || (initPkt(d, 'pkt') && s.type === 'pkt_meta');
  if (!fwd && !back) return false;
  const dOther = other.cur.reg(insn.dst);
  const sOther = other.cur.reg(insn.src);
  switch (insn.op & 0xf0) {
    case I.JMP_JGT:
      if (fwd) {
        findGoodPktPointers(self, d, false);
        markPktEnd(other, insn.dst, true);
      } else {
        findGoodPktPointers(other, sOther, true);
        markPktEnd(self, insn.src, false);
      }
      return true;
    case I.JMP_JLT:
      if (fwd) {
        findGoodPktPointers(other, dOther, true);
        markPktEnd(self, insn.dst, false);
      } else {
        findGoodPktPointers(self, s, false);
        markPktEnd(other, insn.src, true);
      }
      return true;
    case I.JMP_JGE:
      if (fwd) {
        findGoodPktPointers(self, d, true);
        markPktEnd(other, insn.dst, false);
      } else {
        findGoodPktPointers(other, sOther, false);
        markPktEnd(self, insn.src, true);
      }
      return true;
    case I.JMP_JLE:
      if (fwd) {
        findGoodPktPointers(other, dOther, false);
        markPktEnd(self, insn.dst, true);
      } else {
        findGoodPktPointers(self, s, true);
        markPktEnd(other, insn.src, false);
      }
      return true;
    default:
      return false;
  }
}
