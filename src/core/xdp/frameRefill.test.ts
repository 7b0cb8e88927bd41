// A recycled frame skips the copy of its bytes only while its page still holds them: a real program
// (run through the VM's per-program entry, vm/simEntry.ts) that writes its packet must make the next
// frame on that page start from the traffic's bytes again, as the kernel's live-frames test run
// rewrites a page whose frame was changed (net/bpf/test_run.c reset_ctx).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScenario } from '../scenario/scenarioParse';
import { BpfSystem } from '../vm/bpfSystem';
import type { Insn } from '../vm/isa';
import { XdpProgram } from '../vm/xdpProgram';
import { pair, udp } from '../../../test/unit/xdp/programDoubles';
import { type LoadedObject, Simulation } from './simulation';
import type { SimulationResult } from './simulationResult';
import type { SimulatorOptions } from './simulator';

const i = (op: number, dst: number, src: number, off: number, imm: number): Insn => ({
  op,
  dst,
  src,
  off,
  imm,
});

/** `data[0] ^= 0xff` when `write`, then XDP_TX (XDP_DROP on a frame shorter than one byte). */
function txProgram(write: boolean): XdpProgram {
  const body: Insn[] = [
    i(0x61, 2, 1, 0, 0), // r2 = ctx->data
    i(0x61, 3, 1, 4, 0), // r3 = ctx->data_end
    i(0xbf, 4, 2, 0, 0), // r4 = r2
    i(0x07, 4, 0, 0, 1), // r4 += 1
    i(0x2d, 4, 3, write ? 5 : 2, 0), // if r4 > r3 goto drop
    ...(write
      ? [
          i(0x71, 5, 2, 0, 0), // r5 = *(u8 *)(r2 + 0)
          i(0xa7, 5, 0, 0, 0xff), // r5 ^= 0xff
          i(0x73, 2, 5, 0, 0), // *(u8 *)(r2 + 0) = r5
        ]
      : []),
    i(0xb7, 0, 0, 0, 3), // r0 = XDP_TX
    i(0x95, 0, 0, 0, 0), // exit
    i(0xb7, 0, 0, 0, 1), // drop: r0 = XDP_DROP
    i(0x95, 0, 0, 0, 0),
  ];
  return new XdpProgram(new BpfSystem(), {
    name: 'tx',
    section: 'xdp',
    attach: 'xdp',
    frags: false,
    insns: body,
    lines: new Map(),
    compileOptions: {},
  });
}

/** a1 → a0 (the program, XDP_TX back out of a0) → a1 (GRO: its NAPI takes the frames), 300 frames. */
function txRun(write: boolean, options: SimulatorOptions): SimulationResult {
  const sc = parseScenario({
    version: 1,
    programs: [{ name: 'tx', file: 't.o', function: 'tx' }],
    devices: pair('a1', 'a0', { a0: { xdp: { program: 'tx' } }, a1: { gro: true } }),
    traffic: [{ from: 'a1', count: 300, burst: 64, frame: udp }],
  });
  const objects = new Map<string, LoadedObject>([['t.o', { programs: [txProgram(write)], maps: [] }]]);
  return new Simulation({ scenario: sc, objects }, { maxEvents: 0, ...options }).run();
}

/** What a0 transmits in txRun. */
function transmitted(write: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  txRun(write, { onTransmit: (device, bytes) => void (device === 'a0' && out.push(bytes.slice())) });
  return out;
}

describe('recycled frames and their pages', () => {
  it('a program that writes its frame: every frame starts from the traffic bytes (no page reused as written)', () => {
    const plain = transmitted(false);
    const written = transmitted(true);
    assert.equal(plain.length, 300);
    assert.equal(written.length, 300);
    const first = plain[0] as Uint8Array;
    for (const b of plain) assert.deepEqual(b, first);
    const flipped = first.slice();
    flipped[0] = (flipped[0] as number) ^ 0xff;
    for (const b of written) assert.deepEqual(b, flipped);
  });
});

describe('onTransmit with a transmit limit (the visualizer keeps 65,536 frames per device)', () => {
  it("sees each device's first N frames, the same bytes and the same counts as without the limit", () => {
    const run = (limit?: number): { seen: Map<string, Uint8Array[]>; summary: unknown } => {
      const seen = new Map<string, Uint8Array[]>();
      const r = txRun(true, {
        ...(limit !== undefined ? { transmitLimit: limit } : {}),
        onTransmit: (device, bytes) => {
          const list = seen.get(device) ?? [];
          seen.set(device, list);
          list.push(bytes.slice());
        },
      });
      return { seen, summary: r.summary };
    };
    const all = run();
    const first = run(40);
    assert.deepEqual(first.summary, all.summary);
    assert.deepEqual([...all.seen.keys()].sort(), ['a0', 'a1']);
    for (const [device, frames] of all.seen) {
      assert.equal(frames.length, 300, device);
      assert.deepEqual(first.seen.get(device), frames.slice(0, 40), device);
    }
  });
});
