// The simulator's programs on the wasm tier (docs/simulator.md "Tiers"): frame pages in the system's
// linear memory, the module called by SimEntry itself — the same transmitted bytes, counts,
// warnings and drops as the js tier, for a program that writes its frame (the first write unlocks
// the packet), a frame longer than a page (its own buffer: the module's wrapper moves it) and a
// program that faults.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScenario } from '../scenario/scenarioParse';
import { BpfSystem } from '../vm/bpfSystem';
import type { VmTier } from '../vm/compiler';
import type { Insn } from '../vm/isa';
import { XdpProgram } from '../vm/xdpProgram';
import { pair } from '../../../test/unit/xdp/programDoubles';
import { BufferPool, makeBuffer, PAGE_SIZE } from './simFrame';
import { type LoadedObject, Simulation } from './simulation';
import type { SimSummary } from './simulationResult';

const i = (op: number, dst: number, src: number, off: number, imm: number): Insn => ({
  op,
  dst,
  src,
  off,
  imm,
});

/** `data[k] ^= 0xff` for the frame's byte k = 100 (XDP_DROP on a shorter frame), then XDP_TX. */
const WRITE_TX: Insn[] = [
  i(0x61, 2, 1, 0, 0), // r2 = ctx->data
  i(0x61, 3, 1, 4, 0), // r3 = ctx->data_end
  i(0xbf, 4, 2, 0, 0), // r4 = r2
  i(0x07, 4, 0, 0, 101), // r4 += 101
  i(0x2d, 4, 3, 5, 0), // if r4 > r3 goto drop
  i(0x71, 5, 2, 100, 0), // r5 = *(u8 *)(r2 + 100)
  i(0xa7, 5, 0, 0, 0xff), // r5 ^= 0xff
  i(0x73, 2, 5, 100, 0), // *(u8 *)(r2 + 100) = r5
  i(0xb7, 0, 0, 0, 3), // r0 = XDP_TX
  i(0x95, 0, 0, 0, 0), // exit
  i(0xb7, 0, 0, 0, 1), // drop: r0 = XDP_DROP
  i(0x95, 0, 0, 0, 0),
];

/** Reads the byte past data_end without a check (a fault the verifier would refuse). */
const FAULTS: Insn[] = [
  i(0x61, 2, 1, 4, 0), // r2 = ctx->data_end
  i(0x71, 0, 2, 0, 0), // r0 = *(u8 *)(r2 + 0)
  i(0x95, 0, 0, 0, 0),
];

interface Outcome {
  summary: SimSummary;
  transmitted: string[];
  linear: boolean;
}

function run(tier: VmTier, insns: Insn[], length: number): Outcome {
  const system = new BpfSystem({ tier });
  const prog = new XdpProgram(system, {
    name: 'p',
    section: 'xdp',
    attach: 'xdp',
    frags: false,
    insns,
    lines: new Map(),
    compileOptions: {},
  });
  const sc = parseScenario({
    version: 1,
    programs: [{ name: 'p', file: 't.o', function: 'p' }],
    // A frame longer than a page: generic XDP, where a program that is not frags-aware sees a
    // linearised skb (a buffer of its own); native XDP refuses such an MTU (ERANGE).
    devices:
      length > 1500
        ? pair('a1', 'a0', { a0: { xdp: { program: 'p', mode: 'generic' }, mtu: 9000 }, a1: { mtu: 9000 } })
        : pair('a1', 'a0', { a0: { xdp: { program: 'p' } }, a1: { gro: true } }),
    traffic: [{ from: 'a1', count: 200, burst: 64, frame: { udp: { dst: '10.0.0.2', dport: 9 }, length } }],
  });
  const objects = new Map<string, LoadedObject>([['t.o', { programs: [prog], maps: [] }]]);
  const transmitted: string[] = [];
  const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const r = new Simulation(
    { scenario: sc, objects },
    { maxEvents: 0, onTransmit: (device, bytes) => void transmitted.push(`${device} ${hex(bytes)}`) },
  ).run();
  return { summary: r.summary, transmitted, linear: system.machine.allocBytes !== undefined };
}

describe('the simulator on the wasm tier', () => {
  it('a program that writes its frame: the same transmitted bytes and counts as js, frames in linear memory', () => {
    const js = run('js', WRITE_TX, 200);
    const wasm = run('wasm', WRITE_TX, 200);
    assert.equal(js.transmitted.filter((t) => t.startsWith('a0 ')).length, 200);
    assert.deepEqual(js.summary.warnings, []);
    assert.deepEqual(wasm.transmitted, js.transmitted);
    assert.deepEqual(wasm.summary, js.summary);
    assert.equal(wasm.linear, true);
  });

  it('a frame longer than a page (a buffer of its own) runs through the wrapper, same result', () => {
    const js = run('js', WRITE_TX, 5000);
    const wasm = run('wasm', WRITE_TX, 5000);
    assert.equal(js.transmitted.filter((t) => t.startsWith('a0 ')).length, 200);
    assert.deepEqual(js.summary.warnings, []);
    assert.deepEqual(wasm.transmitted, js.transmitted);
    assert.deepEqual(wasm.summary, js.summary);
  });

  it('a program that faults: the same warning and drops', () => {
    const js = run('js', FAULTS, 200);
    const wasm = run('wasm', FAULTS, 200);
    assert.equal(js.summary.devices.a0?.dropReasons?.program_fault, 200);
    assert.deepEqual(wasm.summary, js.summary);
  });

  it('pages from linear memory keep their offset there (XdpBuffer.at); pages of the JS heap say -1', () => {
    const system = new BpfSystem({ tier: 'wasm' });
    const alloc = system.machine.allocBytes;
    assert.ok(alloc);
    const pool = new BufferPool(Infinity, alloc);
    const b = makeBuffer(new Uint8Array(60), false, pool);
    assert.ok((b.at ?? -1) > 0);
    assert.equal(b.bytes.length, PAGE_SIZE);
    pool.give(b.bytes, b.at);
    const again = makeBuffer(new Uint8Array(60), false, pool);
    assert.equal(again.bytes, b.bytes);
    assert.equal(again.at, b.at);
    assert.equal(makeBuffer(new Uint8Array(60), false, new BufferPool()).at, -1);
  });
});
