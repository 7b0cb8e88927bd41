// The walk processes exactly Linux 6.18's number of instructions where stack liveness decides it:
// a slot dead at a join (overwritten whole before any read) lets the second side be pruned there.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KERNEL_COUNTS, stackLivenessProgram } from '../../../test/fixtures/verifier/stackLiveness';
import { verifyProgram } from './verifyObject';

describe('verifier: 6.18 stack liveness', () => {
  for (const [rounds, kernel] of Object.entries(KERNEL_COUNTS)) {
    it(`processes the kernel's ${kernel.insns} insns and keeps its ${kernel.states} states (${rounds} rounds)`, () => {
      const r = verifyProgram({
        name: 'stack_liveness',
        section: 'xdp',
        attach: 'xdp',
        insns: stackLivenessProgram(Number(rounds)),
        ldImm64: () => undefined,
        sourceOf: () => undefined,
      });
      assert.equal(r.verdict, 'accepted');
      assert.deepEqual({ insns: r.insnsProcessed, states: r.statesExplored, peak: r.peakStates }, kernel);
    });
  }
});
