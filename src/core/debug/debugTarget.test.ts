// Memory at a step: a kept memory moved along the store log (redo/undo of stores) must equal a replay
// of the run from a fresh load stopped at that step, on every fixture, in any order of visits.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { buildFrame } from '../packet/frameBuilder';
import { bundledBtf } from '../elf/bundledBtf';
import { DebugTarget } from './debugTarget';
import { VerifierKinds } from './verifierKinds';
import type { StepMemory } from './debugTarget';

const fixtures = path.resolve(__dirname, '../../../test/fixtures/programs');
/** A BTF blob of no types (header only): every relocation against a kernel type fails. */
const EMPTY_BTF = new Uint8Array([
  0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,
]);

/** Every region's bytes, the packet window, the redirect target and the printk lines. */
function snapshot(m: StepMemory): unknown {
  return {
    regions: m.R.map((r) => (r ? [r.id, r.kind, r.lo, r.hi, Array.from(r.u8)] : null)),
    buffer: [m.buffer.dataMeta, m.buffer.data, m.buffer.dataEnd, Array.from(m.buffer.bytes)],
    redirect: [m.redirect.mapId, m.redirect.tgtIndex],
    printk: [...m.printk],
  };
}

/** A fixed pseudo-random order of visits (xorshift), then a walk back and one forward. */
function visits(n: number): number[] {
  const out: number[] = [];
  let x = 0x2545f491;
  for (let k = 0; k < 40; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.push((x >>> 0) % (n + 1));
  }
  for (let s = n; s >= Math.max(0, n - 60); s--) out.push(s);
  for (let s = 0; s <= Math.min(n, 60); s++) out.push(s);
  out.push(n, 0, n);
  return out;
}

const objects = fs.readdirSync(path.join(fixtures, 'obj')).filter((f) => f.endsWith('.bpf.o'));

for (const name of objects)
  test(`debug target: memory moved along the store log equals a replay (${name})`, () => {
    let t: DebugTarget;
    try {
      t = new DebugTarget({
        object: new Uint8Array(fs.readFileSync(path.join(fixtures, 'obj', name))),
        objectName: name,
        frame: buildFrame({ udp: { dport: 9 } }),
        frameLabel: 'udp',
        stopOnEntry: false,
        ingressIfindex: 1,
        rxQueueIndex: 0,
        cpu: 0,
      });
    } catch {
      return; // an object with no XDP program (or one that does not load) has nothing to compare
    }
    const n = t.run.length;
    for (const s of visits(n))
      assert.deepEqual(snapshot(t.memoryAt(s)), snapshot(t.replayMemory(s)), `${name}: step ${s} of ${n}`);
  });

void test("a launch's conntrack entries (a scenario's table) are what the debugged run's kfuncs find", () => {
  const frame = buildFrame({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport: 40000, dport: 80 } });
  const launch = (conntrack?: { proto: 'tcp'; src: string; sport: number; dst: string; dport: number }[]) =>
    new DebugTarget({
      object: new Uint8Array(fs.readFileSync(path.join(fixtures, 'obj/conntrack.bpf.o'))),
      objectName: 'conntrack',
      frame,
      frameLabel: 'tcp',
      stopOnEntry: false,
      ingressIfindex: 1,
      rxQueueIndex: 0,
      cpu: 0,
      ...(conntrack ? { conntrack } : {}),
    });
  assert.equal(launch().run.result.action, 1, 'untracked: XDP_DROP');
  const t = launch([{ proto: 'tcp', src: '10.0.0.1', sport: 40000, dst: '10.0.0.2', dport: 80 }]);
  assert.equal(t.run.result.action, 2, 'tracked: XDP_PASS');
  // A replay from a fresh load (memory at step 0) has the table too: the end memory is reached again.
  assert.ok(t.memoryAt(0));
  assert.equal(t.memoryAt(t.run.length).maps.length > 0, true);
});

void test("the launch's target BTF is what CO-RE resolves against: the run, every replay and the verifier's walk", () => {
  const object = new Uint8Array(fs.readFileSync(path.join(fixtures, 'obj/corerelo.bpf.o')));
  const frame = buildFrame({ tcp: { sport: 5555, dport: 80, flags: 'S' }, length: 200 });
  let reads = 0;
  const launch = (btf: Uint8Array | undefined, targetBtfName: string) =>
    new DebugTarget({
      object,
      objectName: 'corerelo',
      frame,
      frameLabel: 'tcp syn',
      stopOnEntry: false,
      ingressIfindex: 1,
      rxQueueIndex: 0,
      cpu: 0,
      targetBtf: () => (reads++, btf),
      targetBtfName,
    });
  const t = launch(bundledBtf(), 'the test BTF');
  assert.equal(t.run.result.fault, undefined);
  assert.equal(t.run.result.action, 3, 'XDP_TX');
  assert.equal(t.coreBtfName, 'the test BTF');
  // Read and parsed once for the recording, a replay and the walk (a replay reloads the object).
  assert.ok(t.replayMemory(0));
  assert.equal(t.verifierKinds(t.program)?.verdict, 'accepted');
  assert.equal(reads, 1);
  // A BTF without the kernel's types: iph->ttl cannot resolve, so libbpf's poisoned call is in the
  // program the session loads — the BTF given is the one the run uses, not the bundled one.
  assert.throws(() => launch(EMPTY_BTF, 'an empty BTF'), /unknown helper id 195896080/);
});

void test("the Registers' walk resolves CO-RE against the BTF it is given (an empty one: the verifier refuses)", () => {
  const object = new Uint8Array(fs.readFileSync(path.join(fixtures, 'obj/corerelo.bpf.o')));
  assert.equal(VerifierKinds.of(object, 'xdp_core', 1000)?.verdict, 'accepted');
  const k = VerifierKinds.of(object, 'xdp_core', 1000, {
    targetBtf: EMPTY_BTF,
    targetBtfName: 'an empty BTF',
  });
  assert.equal(k?.verdict, 'rejected');
});
