// Globals of a loaded object (issue 13 item 4): listed with their C types and shapes, set before a
// run the way a skeleton sets initial values, refused with the reason when a value does not fit.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { GlobalError, globalValueText, parseGlobalAssignment, setGlobal } from './globals';
import { loadObject } from './loadObject';
import { buildFrame } from '../packet/frameBuilder';

const objDir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');
const knobs = () =>
  loadObject(new Uint8Array(fs.readFileSync(path.join(objDir, 'knobs.bpf.o'))), { name: 'knobs' });
const frame = buildFrame({ udp: { dport: 53 }, length: 80 });

void test('globals are listed by section with types, offsets and current values', () => {
  const o = knobs();
  assert.deepEqual(
    o.globals.map((g) => [g.name, g.section, g.offset, g.size, g.type, globalValueText(g)]),
    [
      ['port', '.rodata', 0, 2, 'const volatile __u16', '53'],
      ['enabled', '.rodata', 2, 1, 'const volatile _Bool', 'true'],
      ['delta', '.rodata', 3, 1, 'const volatile __s8', '-1'],
      ['mode', '.rodata', 4, 4, 'const volatile enum knob_mode', 'MODE_PASS'],
      ['label', '.rodata', 8, 8, 'const volatile char[8]', 'lab'],
      ['allowed', '.rodata', 16, 16, 'const volatile __u32[4]', '1,2,3,4'],
      ['pair', '.rodata', 32, 4, 'const volatile struct knob_pair', '0x01000200'],
      ['hits', '.data', 0, 4, '__u32', '7'],
      ['total', '.bss', 0, 8, '__u64', '0'],
    ],
  );
});

void test('setting globals changes what the program reads (the .rodata knobs and .data)', () => {
  const o = knobs();
  const prog = o.programs[0];
  assert.ok(prog);
  assert.equal(prog.testRun(frame, {}).retval, 2, 'default mode MODE_PASS');
  for (const [name, value] of [
    ['port', '0x1f90'],
    ['delta', '-7'],
    ['mode', 'MODE_TX'],
    ['label', 'xdp-lab'],
    ['allowed', '9,8,7'],
    ['pair', '0x0a000b00'],
    ['hits', '41'],
  ] as const)
    setGlobal(o.globals, name, value);
  const r = prog.testRun(frame, {});
  assert.equal(r.retval, 3);
  const out = Buffer.from(r.dataOut.subarray(14, 14 + 37)).toString('hex');
  assert.equal(
    out,
    '901f' +
      '01' +
      'f9' +
      '03' +
      '7864702d6c616200' +
      '09000000080000000700000000000000' +
      '0a000b00' +
      '2a000000',
  );
  setGlobal(o.globals, 'enabled', false);
  assert.equal(prog.testRun(frame, {}).retval, 2, 'disabled: XDP_PASS');
  setGlobal(o.globals, 'enabled', 'true');
  setGlobal(o.globals, 'mode', 'XDP_DROP');
  assert.equal(prog.testRun(frame, {}).retval, 1, 'an XDP action name is its value');
  setGlobal(o.globals, 'mode', 0);
  assert.equal(prog.testRun(frame, {}).retval, 0);
});

void test('bad values and unknown names are refused naming the variable and what fits', () => {
  const o = knobs();
  const refuse = (name: string, value: string | number | boolean | number[], re: RegExp): void =>
    assert.throws(
      () => setGlobal(o.globals, name, value),
      (e: unknown) => e instanceof GlobalError && re.test(e.message),
    );
  refuse(
    'nope',
    1,
    /no global variable 'nope' \(the object has: port, enabled, delta, mode, label, allowed, pair, hits, total\)/,
  );
  refuse(
    'port',
    70000,
    /global 'port' \(const volatile __u16\): 70000 does not fit a 2-byte unsigned integer \(0…65535\)/,
  );
  refuse('port', -1, /does not fit/);
  refuse('port', 'abc', /'abc' is not an integer/);
  refuse('delta', 200, /does not fit a 1-byte signed integer \(-128…127\)/);
  refuse('enabled', 2, /bool/);
  refuse('mode', 'MODE_NOPE', /an enumerator \(MODE_ABORT, MODE_DROP, MODE_PASS, MODE_TX\)/);
  refuse('label', 'too long for eight', /18 characters do not fit 8 bytes/);
  refuse('allowed', [1, 2, 3, 4, 5], /5 values do not fit 4 elements/);
  refuse('pair', '0x01', /give 4 bytes as a 0x… hex string/);
  refuse('port', [1], /give one value, not a list/);
  assert.equal(globalValueText(o.globals[0]!), '53', 'a refused value leaves the variable as it was');
  assert.deepEqual(parseGlobalAssignment('a=b=c'), { name: 'a', value: 'b=c' });
  assert.throws(() => parseGlobalAssignment('=1'), GlobalError);
  assert.throws(() => parseGlobalAssignment('noequals'), GlobalError);
});

void test('a signed variable takes the unsigned hex spelling of a negative value', () => {
  const o = knobs();
  setGlobal(o.globals, 'delta', '0xff');
  assert.equal(globalValueText(o.globals.find((g) => g.name === 'delta')!), '-1');
});
