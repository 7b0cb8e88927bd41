// The CLI as a new user meets it (cli.md "Common rules"): each command with no arguments, a missing
// file, a file of the wrong kind or C that does not compile answers with one `xdp-lab: what : why`
// line (clang's own diagnostics may come before it) and exit 2 — never a stack trace. On dist/cli.js.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

const dir = mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-cli-bad-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8', input: '' });

/** Exit 2, nothing on stdout, and the last stderr line is the one `xdp-lab: what : why` line. */
function refused(args: string[], why: RegExp): string {
  const r = cli(...args);
  assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}, stderr ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('xdp-lab: ')).length, 1, r.stderr);
  const last = lines[lines.length - 1] ?? '';
  assert.match(last, /^xdp-lab: .+ : /);
  assert.match(last, why);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+\)?\n|internal error|undefined/);
  return last;
}

const notElf = file('notelf.o', 'hello');
const broken = file(
  'broken.c',
  '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nSEC("xdp") int f(struct xdp_md *c)\n{\n  return 2\n}\n',
);
const json = file('notes.json', '{"x": 1}\n');
const missing = path.join(dir, 'missing.o');

test('each command with no arguments names what it needs', () => {
  refused(['run'], /missing OBJ/);
  refused(['simulate'], /scenario file/);
  refused(['check'], /missing FILE\.c/);
  refused(['verify'], /missing OBJ or FILE\.c/);
  refused(['trace'], /--host/);
  refused(['import'], /--host/);
});

test('a missing file, a non-ELF object: named, with why', () => {
  refused(['run', missing, '--data', notElf], /missing\.o : cannot read the object: no such file/);
  refused(['verify', missing], /cannot read the object: no such file/);
  refused(['run', notElf, '--data', notElf], /notelf\.o : not an ELF object/);
  refused(['verify', notElf], /not an ELF object/);
  refused(['simulate', path.join(dir, 'missing.json')], /cannot read: ENOENT \(no such file\)/);
  refused(['check', path.join(dir, 'missing.c')], /cannot read it: no such file/);
});

test('a directory where a file belongs: named as a directory, not as an I/O error', () => {
  const sub = path.join(dir, 'prog.c');
  mkdirSync(sub, { recursive: true });
  const scen = path.join(dir, 'lab.xdpscenario.json');
  mkdirSync(scen, { recursive: true });
  refused(['verify', dir], /is a directory: the object must be a file/);
  refused(['verify', sub], /prog\.c : is a directory: the C source must be a file/);
  refused(['run', sub, '--data', notElf], /is a directory: the C source must be a file/);
  refused(['check', sub], /prog\.c : is a directory: check reads one C file/);
  refused(['simulate', scen], /cannot read: EISDIR \(a directory: give the scenario file/);
  refused(['verify', path.join(dir, 'missing.c')], /missing\.c : cannot read the C source: no such file/);
});

test('C that does not compile: clang says where, then one line with its first error', () => {
  const r = cli('verify', broken);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /broken\.c:5:11: error: expected ';'/);
  refused(
    ['verify', broken],
    /broken\.c : does not compile: 5:11: error: expected ';' after return statement$/,
  );
  refused(['run', broken, '--data', notElf], /does not compile: 5:11: error/);
});

test('a file of the wrong kind says which command takes it', () => {
  refused(['check', notElf], /a BPF object, not C source: .*verify/);
  refused(['check', json], /not a C file/);
  refused(['simulate', broken], /a program, not a scenario: .*xdp-lab run/);
  refused(['simulate', notElf], /a program, not a scenario/);
});

test("numbers out of the kernel's range are refused, not wrapped", () => {
  const frame = file('frame.bin', 'x'.repeat(64));
  refused(
    ['run', notElf, '--data', frame, '--ifindex', '99999999999999'],
    /--ifindex must be an integer from 1 to 4294967295/,
  );
  refused(['run', notElf, '--data', frame, '--ifindex', '0'], /--ifindex must be an integer from 1 to/);
  refused(
    ['run', notElf, '--data', frame, '--repeat', '4294967296'],
    /--repeat must be an integer from 1 to 4294967295/,
  );
  refused(['run', notElf, '--data', frame, '--rx-queue', '-1'], /--rx-queue must be/);
});

test('a --kconfig file that cannot be read, or a config line libbpf refuses: named, with why', () => {
  const obj = path.resolve('test/fixtures/programs/obj/kconfig.bpf.o');
  const frame = file('frame.bin', 'x'.repeat(64));
  refused(
    ['run', obj, '--data', frame, '--kconfig', missing],
    /--kconfig : cannot read the kernel config .*missing\.o: no such file/,
  );
  refused(['verify', obj, '--kconfig', dir], /--kconfig : cannot read the kernel config .*: is a directory/);
  refused(['verify', obj, '--kconfig', file('bin.config', 'CONFIG_HZ=1\0\x01')], /it is binary/);
  const gz = path.join(dir, 'gz.config');
  writeFileSync(gz, Buffer.from([0x1f, 0x8b, 0x6e, 0x6f]));
  refused(['verify', obj, '--kconfig', gz], /bad gzip data/);
  refused(
    ['verify', obj, '--kconfig', file('hz.config', 'CONFIG_HZ=y\n')],
    /kconfig\.bpf\.o : error parsing Kconfig line 1 of .*hz\.config 'CONFIG_HZ=y': extern \(kcfg\) 'CONFIG_HZ': value 'y' implies bool, tristate, or char type/,
  );
  refused(
    ['run', obj, '--data', frame, '--kconfig', file('long.config', `CONFIG_HZ=${'9'.repeat(70000)}\n`)],
    /extern \(kcfg\) 'CONFIG_HZ': value '9{120}…' isn't a valid integer/,
  );
});
