// The .clangd fragment and its merge: BPF flags only for BPF files, the user's documents kept byte for byte.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  bpfPathMatch,
  clangdFlags,
  clangdFragment,
  compileFlagsText,
  hasXdpLabFragment,
  mergeClangdConfig,
} from './clangdConfig';

void test('flags: -target bpf, -I dirs once each, only the parser-relevant extra args', () => {
  const flags = clangdFlags({
    includeDirs: ['/a', '/usr/include/x86_64-linux-gnu', '/a'],
    extraArgs: ['-O3', '-DDEBUG=1', '-D', 'X', '-g', '-I', 'inc', '-Wno-unused', '-include', 'cfg.h', '-c'],
  });
  assert.deepEqual(flags, [
    '-target',
    'bpf',
    '-I/a',
    '-I/usr/include/x86_64-linux-gnu',
    '-DDEBUG=1',
    '-D',
    'X',
    '-I',
    'inc',
    '-Wno-unused',
    '-include',
    'cfg.h',
  ]);
  assert.equal(compileFlagsText(['-target', 'bpf']), '-target\nbpf\n');
});

void test('fragment: YAML quoting for paths with spaces and regexes, PathMatch for BPF files', () => {
  const text = clangdFragment({
    flags: ['-target', 'bpf', "-I/home/o'neil/my inc"],
    pathMatch: bpfPathMatch(['src/prog.c', 'x.bpf.c']),
  });
  assert.ok(hasXdpLabFragment(text));
  assert.match(text, /^ {2}PathMatch: \['\.\*\\\.bpf\\\.\[ch\]', 'src\/prog\\\.c'\]$/m);
  assert.match(text, /^ {2}Add: \[-target, bpf, '-I\/home\/o''neil\/my inc'\]$/m);
});

void test('merge: create, append after a user file, replace only our document, unchanged when equal', () => {
  const ours = clangdFragment({ flags: ['-target', 'bpf'], pathMatch: bpfPathMatch() });
  assert.deepEqual(mergeClangdConfig(undefined, ours), { text: ours, action: 'created' });
  const user = 'CompileFlags:\n  Add: [-Wall]';
  const appended = mergeClangdConfig(user, ours);
  assert.equal(appended.action, 'appended');
  assert.equal(appended.text, `${user}\n---\n${ours}`);
  // A user document after ours survives a rewrite.
  const tail = '---\nIf:\n  PathMatch: host/.*\nCompileFlags:\n  Add: [-m64]\n';
  const both = appended.text + tail;
  const newer = clangdFragment({ flags: ['-target', 'bpf', '-I/x'], pathMatch: bpfPathMatch() });
  const replaced = mergeClangdConfig(both, newer);
  assert.equal(replaced.action, 'replaced');
  assert.equal(replaced.text, `${user}\n---\n${newer}${tail}`);
  assert.equal(mergeClangdConfig(replaced.text, newer).action, 'unchanged');
});
