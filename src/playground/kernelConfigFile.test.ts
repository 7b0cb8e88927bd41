// A kernel config opened in the playground: the names it goes by, gzip (/proc/config.gz copied as
// it is) read like plain text, and the mistakes a user makes (a binary file, a text that is no
// config, damaged gzip) named with why, before any object reads it.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { isKernelConfigName, kconfigOptionCount, readKernelConfig } from './kernelConfigFile';

const text =
  '#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_HZ=250\n# CONFIG_NF_CONNTRACK is not set\nCONFIG_LOCALVERSION="-lab"\n';
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('a kernel config opened in the playground', () => {
  it('is known by the names configs go by, never by a source, object, scenario or pcap', () => {
    for (const n of [
      'config-6.18.0-1-amd64',
      'config.gz',
      '.config',
      'kernel.config',
      'kconfig',
      'my-config.txt',
    ])
      assert.ok(isKernelConfigName(n), n);
    for (const n of [
      'kconfig.bpf.c',
      'kconfig.bpf.o',
      'config.h',
      'config.xdpscenario.json',
      'config.pcap',
      'configure',
      'reconfigure.txt',
    ])
      assert.ok(!isKernelConfigName(n), n);
  });

  it('reads gzip (a copy of /proc/config.gz) to the same text as plain', async () => {
    const plain = await readKernelConfig('config-6.18', bytes(text));
    const gz = await readKernelConfig('config.gz', new Uint8Array(gzipSync(text)));
    assert.equal(plain.text, text);
    assert.equal(gz.text, text);
    assert.equal(gz.name, 'config.gz');
    assert.equal(kconfigOptionCount(gz.text), 2);
  });

  it('refuses a binary file, damaged gzip and a text without CONFIG_ lines, naming the file', async () => {
    await assert.rejects(
      readKernelConfig('config', Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 0, 1)),
      /config: it is binary/,
    );
    await assert.rejects(
      readKernelConfig('config.gz', Uint8Array.of(0x1f, 0x8b, 8, 0, 1, 2, 3)),
      /config\.gz: bad gzip data/,
    );
    await assert.rejects(
      readKernelConfig('notes.config', bytes('hello\nHZ=250\n')),
      /notes\.config is not a kernel config/,
    );
  });
});
