// The simulator's per-program VM entry: a program loaded again (a new system, the same compiled
// source) reuses the first load's compiled code, yet runs on its own system — its own maps, its own
// faults and lines.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject } from '../elf/loadObject';
import { buildFrame } from '../packet/frameBuilder';
import { RedirectInfo } from '../xdp/redirectInfo';
import { SimEntry } from './simEntry';
import { testRunBuffer } from './xdpBuffer';
import type { XdpRunContext } from './xdpRun';

const objDir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');
const load = (name: string) =>
  loadObject(new Uint8Array(fs.readFileSync(path.join(objDir, name))), { name: name.split('.')[0] });
const ctx = (): XdpRunContext => ({
  ingressIfindex: 1,
  rxQueueIndex: 0,
  egressIfindex: 0,
  cpu: 0,
  redirect: new RedirectInfo(),
});

void test('a second load of a program runs through the first one’s code on its own maps', () => {
  const a = load('flowcount.bpf.o');
  const b = load('flowcount.bpf.o');
  const ea = new SimEntry(a.programs[0]!);
  const eb = new SimEntry(b.programs[0]!);
  assert.equal(
    ea.run(testRunBuffer(buildFrame({ udp: {} })), ctx()),
    eb.run(testRunBuffer(buildFrame({ udp: {} })), ctx()),
  );
  for (let i = 0; i < 3; i++) eb.run(testRunBuffer(buildFrame({ udp: {} })), ctx());
  assert.equal(ea.fault, undefined);
  assert.equal(eb.fault, undefined);
  const bySrc = (o: typeof a) => o.maps.find((m) => m.name === 'flow_stats')!.dump();
  assert.equal(bySrc(a).length, 1);
  assert.equal(bySrc(b).length, 1);
  assert.notDeepEqual(bySrc(a), bySrc(b), 'a counted 1 frame, b 4');
});

void test('a fault in a reused program is reported for the program that ran', () => {
  const a = load('oob.bpf.o');
  const b = load('oob.bpf.o');
  const ea = new SimEntry(a.programs[0]!);
  const eb = new SimEntry(b.programs[0]!);
  assert.equal(ea.run(testRunBuffer(buildFrame({ udp: {} })), ctx()), 1);
  assert.equal(eb.run(testRunBuffer(buildFrame({ udp: {} }).slice(0, 20)), ctx()), 0);
  assert.equal(ea.fault, undefined);
  assert.match(eb.fault?.line ?? '', /^oob\.bpf\.c:1\d$/);
  assert.match(eb.fault?.message ?? '', /packet access out of bounds/);
  assert.equal(eb.wrote, true);
});
