// nextStep: what a command says when what it needs is missing, and which next steps it offers.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  compileFailure,
  durationProblem,
  MAX_CAPTURE_SECONDS,
  missingFolder,
  missingProgram,
  missingScenario,
  programFileKind,
  takes,
} from './nextStep';

const XDP = '#include <bpf/bpf_helpers.h>\nSEC("xdp")\nint f(struct xdp_md *c) { return 2; }\n';

void test('a file is an XDP source, another C source, an object or something else', () => {
  assert.equal(programFileKind('/w/redirect.bpf.c', 'c', XDP), 'xdp-source');
  assert.equal(
    programFileKind('/w/frags.c', 'c', 'SEC( "xdp.frags" ) int f(void *c) { return 2; }'),
    'xdp-source',
  );
  assert.equal(
    programFileKind('/w/devmap.c', 'c', 'SEC("xdp/devmap") int f(void *c) { return 2; }'),
    'xdp-source',
  );
  assert.equal(programFileKind('/w/tc.bpf.c', 'c', 'SEC("tc") int f(void *s) { return 0; }'), 'c-source');
  assert.equal(programFileKind('/w/helpers.h', undefined, '#pragma once\n'), 'c-source');
  assert.equal(programFileKind('/w/redirect.o', undefined, ''), 'object');
  assert.equal(programFileKind('/w/redirect.xdpscenario.json', 'json', '{"x": "SEC(\\"xdp\\")"}'), 'other');
  assert.equal(programFileKind('/w/notes.md', 'markdown', 'SEC("xdp")'), 'other');
  // An untitled C buffer: its language, not its name, says it is C.
  assert.equal(programFileKind('Untitled-1', 'c', XDP), 'xdp-source');
});

void test('run/debug take XDP sources and objects; compile/verify take any C file', () => {
  assert.ok(takes('xdp', 'xdp-source') && takes('xdp', 'object'));
  assert.ok(!takes('xdp', 'c-source') && !takes('xdp', 'other'));
  assert.ok(takes('c', 'xdp-source') && takes('c', 'c-source'));
  assert.ok(!takes('c', 'other'));
});

void test('a missing program is named by what is in the editor, with Open a Program and Create Example', () => {
  const none = missingProgram('Run Program on a Frame', 'xdp', undefined, false);
  assert.match(none.message, /Run Program on a Frame needs an XDP program .*; no folder is open/);
  assert.deepEqual(none.steps, ['Open a Program…', 'Create Example']);
  const empty = missingProgram('Run Program on a Frame', 'xdp', undefined, true);
  assert.match(empty.message, /this workspace has none/);
  const md = missingProgram('Compile with clang', 'c', { path: '/w/docs/notes.md', kind: 'other' }, true);
  assert.match(md.message, /^XDP Lab: notes\.md is not a BPF C file\./);
  const tc = missingProgram(
    'Debug Program on a Frame',
    'xdp',
    { path: '/w/tc.bpf.c', kind: 'c-source' },
    true,
  );
  assert.match(
    tc.message,
    /^XDP Lab: Debug Program on a Frame needs an XDP program, and tc\.bpf\.c has none \(no SEC\("xdp"\) function\)\./,
  );
  for (const n of [none, empty, md, tc]) assert.doesNotMatch(n.message, /undefined|\[object/);
});

void test('a missing scenario offers a starter scenario in a folder, a folder without one', () => {
  assert.deepEqual(missingScenario('Simulate Scenario', true).steps, [
    'Create Starter Scenario',
    'Create Example',
  ]);
  const noFolder = missingScenario('Simulate Scenario', false);
  assert.deepEqual(noFolder.steps, ['Open Folder…', 'Create Example']);
  assert.match(noFolder.message, /no folder is open/);
  const f = missingFolder('Import Host as Scenario', 'the scenario is written into it');
  assert.equal(
    f.message,
    'XDP Lab: Import Host as Scenario needs an open folder: the scenario is written into it.',
  );
  assert.deepEqual(f.steps, ['Open Folder…', 'Create Example']);
});

void test("a compile failure is clang's first error, the file's directory left out", () => {
  const stderr = [
    'clang -O2 -g -target bpf -Werror -c /home/u/proj/nu.bpf.c -o /tmp/x/nu.o',
    "/home/u/proj/nu.bpf.c:7:18: error: expected ';' after return statement",
    '    7 |   return XDP_PASS',
    "/home/u/proj/nu.bpf.c:9:1: error: expected '}'",
    '2 errors generated.',
  ].join('\n');
  const n = compileFailure('/home/u/proj/nu.bpf.c', stderr);
  assert.equal(
    n.message,
    "XDP Lab: nu.bpf.c does not compile: nu.bpf.c:7:18: error: expected ';' after return statement.",
  );
  assert.deepEqual(n.steps, ['Show Problems', 'Show Output']);
  // No error line (clang crashed, a signal): the file is still named.
  assert.equal(compileFailure('/p/a.c', 'clang: killed').message, 'XDP Lab: a.c does not compile.');
});

void test('a capture duration is whole seconds up to a week; 0 is until stopped', () => {
  assert.equal(durationProblem('0'), undefined);
  assert.equal(durationProblem(' 10 '), undefined);
  assert.equal(durationProblem(String(MAX_CAPTURE_SECONDS)), undefined);
  assert.match(durationProblem(String(MAX_CAPTURE_SECONDS + 1)) ?? '', /at most 604800 seconds/);
  assert.match(durationProblem('99999999999999999999') ?? '', /at most/);
  for (const bad of ['', '-1', '1.5', 'ten', '1e3', '0x10'])
    assert.match(durationProblem(bad) ?? '', /whole number of seconds/, bad);
});
