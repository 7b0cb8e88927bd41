// The NAPI poll's receive loop: a poll whose program is `r0 = PASS/DROP; exit` counts its frames at
// once (constantPoll) — it must give exactly what the frame-by-frame loop gives, which still runs
// while a timeline is recorded, including where the run cap stops a run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BpfSystem } from '../vm/bpfSystem';
import { XdpProgram } from '../vm/xdpProgram';
import { parseScenario } from '../scenario/scenarioParse';
import { pair, prog, redirect, udp } from '../../../test/unit/xdp/programDoubles';
import { type LoadedObject, Simulation } from './simulation';
import type { SimulationResult } from './simulationResult';
import type { SimulatorOptions } from './simulator';

/** A real `r0 = K; exit` program (what constantVerdict recognises). */
const constant = (k: number): XdpProgram =>
  new XdpProgram(new BpfSystem(), {
    name: `k${k}`,
    section: 'xdp',
    attach: 'xdp',
    frags: false,
    insns: [
      { op: 0xb7, dst: 0, src: 0, off: 0, imm: k },
      { op: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ],
    lines: new Map(),
    compileOptions: {},
  });

/**
 * a1 → a0 (redirect to b0 by ifindex) → b0 ⇄ b1 (the constant program): the bench's pipeline. The
 * programs go in as they are (the doubles' simulate() wraps them, and a wrapper is not recognised).
 */
function run(k: number, frames: number, burst: number, opts: SimulatorOptions): SimulationResult {
  const redir = prog('redir', (_b, c) => redirect(c, 5));
  const sc = parseScenario({
    version: 1,
    programs: [
      { name: 'redir', file: 't.o', function: 'redir' },
      { name: 'k', file: 't.o', function: `k${k}` },
    ],
    devices: [
      ...pair('a1', 'a0', { a0: { xdp: { program: 'redir' } } }),
      ...pair('b1', 'b0', { b1: { xdp: { program: 'k' } } }),
    ],
    traffic: [{ from: 'a1', count: frames, burst, frame: udp }],
  });
  const objects = new Map<string, LoadedObject>([['t.o', { programs: [redir, constant(k)], maps: [] }]]);
  return new Simulation({ scenario: sc, objects }, { maxEvents: 0, ...opts }).run();
}

const counts = (r: SimulationResult) => ({ ...r.summary, warnings: r.summary.warnings });

describe('constant-verdict polls', () => {
  for (const [k, name] of [
    [2, 'XDP_PASS'],
    [1, 'XDP_DROP'],
  ] as const)
    it(`${name}: the counts of the frame-by-frame loop (rx, xdp rx, verdicts, stack or xdp_drop)`, () => {
      const fast = run(k, 150, 64, {});
      const slow = run(k, 150, 64, { maxSteps: 1_000_000 });
      assert.ok(slow.timeline.length > 0);
      assert.deepEqual(counts(fast), counts(slow));
      const b1 = fast.summary.devices.b1!;
      assert.equal(b1.rxFrames, 150);
      assert.equal(b1.xdpRx, 150);
      assert.equal(k === 2 ? b1.stack : b1.dropReasons.xdp_drop, 150);
    });

  it('stops at the same program run as the loop when the run cap is crossed inside the poll', () => {
    // One run per frame allowed, two needed: the redirect programs use the whole cap, so the peer's
    // poll cannot be counted at once and the loop stops at its first frame.
    const fast = run(2, 64, 64, { maxRunsPerFrame: 1 });
    const slow = run(2, 64, 64, { maxRunsPerFrame: 1, maxSteps: 1_000_000 });
    assert.match(fast.summary.warnings.join('\n'), /stopped after 65 program runs/);
    assert.deepEqual(counts(fast), counts(slow));
  });
});
