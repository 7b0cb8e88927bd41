// Program tags equal the kernel's: the expected tags are what Linux 6.18's `bpftool prog show`
// printed for these fixture objects loaded by `bpftool prog loadall` (map references, global data
// and a sub-program call among them); the digests equal node:crypto's on random input.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadObject } from '../elf/loadObject';
import { sha1, sha256, toHex } from '../sha';
import { BpfSystem } from '../vm/bpfSystem';
import type { XdpProgram } from '../vm/xdpProgram';
import { progTags } from './progTag';

const objDir = path.resolve(import.meta.dirname, '../../../test/fixtures/programs/obj');

// Linux 6.18, bpftool prog loadall <obj> /sys/fs/bpf/… ; bpftool -j prog show pinned …
const kernelTags: Array<[string, string, string]> = [
  ['redirect.bpf.o', 'xdp_pass', '614b434cd8324ecc'],
  ['redirect.bpf.o', 'xdp_redirect_udp', '1bd6c3bf3ffc09fc'],
  ['redirects.bpf.o', 'xdp_redirects', '6df7951206ddde84'],
  ['globals.bpf.o', 'xdp_globals', 'eb8d94e91f7f0bad'],
  ['noinline_ttl.bpf.o', 'xdp_ttl', 'b4640a12d4e4f032'],
  ['flowcount.bpf.o', 'xdp_flowcount', '0b09714a0c71927e'],
];

describe('bpf_prog_calc_tag', () => {
  it('SHA-1 and SHA-256 equal node:crypto on edge lengths', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff);
      assert.equal(toHex(sha1(data)), createHash('sha1').update(data).digest('hex'), `sha1 ${n}`);
      assert.equal(toHex(sha256(data)), createHash('sha256').update(data).digest('hex'), `sha256 ${n}`);
    }
  });

  for (const [file, fn, tag] of kernelTags)
    it(`${file} ${fn}: the kernel's tag ${tag}`, () => {
      const obj = loadObject(new Uint8Array(readFileSync(path.join(objDir, file))), {
        system: new BpfSystem({ possibleCpus: 2 }),
        name: file.split('.')[0] as string,
      });
      const prog = obj.programs.find((p) => p.name === fn) as XdpProgram;
      assert.equal(progTags(prog.insns).sha256, tag);
    });
});
