// The Node host's kernel config reading (kernelConfig.ts): libbpf's paths in its order, plain and gzip
// files alike, a clear message for a file that cannot be a config, and LINUX_KERNEL_VERSION's sources.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  hostHasSyscallWrapper,
  hostKernelFacts,
  KernelConfigError,
  readKconfigFile,
  systemKconfigPaths,
} from './kernelConfig';
import { kernelVersionOf } from '../core/elf/kconfig';

const dir = mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-kconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));

void test('libbpf’s order: /boot/config-$(uname -r), then /proc/config.gz', () => {
  assert.deepEqual(systemKconfigPaths('6.18.1-x'), ['/boot/config-6.18.1-x', '/proc/config.gz']);
});

void test('a plain and a gzip config read the same text', () => {
  const text = 'CONFIG_HZ=250\n# CONFIG_X is not set\n';
  writeFileSync(path.join(dir, 'plain'), text);
  writeFileSync(path.join(dir, 'gz'), gzipSync(text));
  assert.equal(readKconfigFile(path.join(dir, 'plain')).text, text);
  assert.deepEqual(readKconfigFile(path.join(dir, 'gz')), { text, name: path.join(dir, 'gz') });
});

void test('a file that is not a config is refused by name', () => {
  const bad: [string, RegExp][] = [
    [path.join(dir, 'missing'), /cannot read the kernel config .*missing: no such file/],
    [dir, /: is a directory/],
  ];
  writeFileSync(path.join(dir, 'elf'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1]));
  bad.push([path.join(dir, 'elf'), /it is binary/]);
  writeFileSync(path.join(dir, 'badgz'), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
  bad.push([path.join(dir, 'badgz'), /bad gzip data/]);
  for (const [f, re] of bad)
    assert.throws(
      () => readKconfigFile(f),
      (e: unknown) => e instanceof KernelConfigError && re.test(e.message),
    );
});

void test('LINUX_KERNEL_VERSION of this host is its uname release, as get_kernel_version computes it', () => {
  const facts = hostKernelFacts();
  if (os.platform() !== 'linux') return assert.equal(facts.kernelVersion, undefined);
  let signature: string | undefined;
  try {
    signature = readFileSync('/proc/version_signature', 'utf8'); // Ubuntu's
  } catch {
    signature = undefined;
  }
  const expected = kernelVersionOf({
    release: os.release(),
    version: os.version(),
    ...(signature ? { signature } : {}),
  });
  assert.equal(facts.kernelVersion, expected || undefined);
});

void test('LINUX_HAS_SYSCALL_WRAPPER: no kprobes on this host, no wrapper for libbpf either', () => {
  const kprobes = [
    '/sys/bus/event_source/devices/kprobe/type',
    '/sys/kernel/tracing/kprobe_events',
    '/sys/kernel/debug/tracing/kprobe_events',
  ].some((p) => existsSync(p));
  if (!kprobes || os.platform() !== 'linux') assert.equal(hostHasSyscallWrapper(), false);
  else assert.equal(typeof hostHasSyscallWrapper(), 'boolean');
});
