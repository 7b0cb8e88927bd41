// Socket field access (src/core/verifier/sockAccess.ts) against the kernel's own rules: one XDP
// program per (offset, size) read of struct bpf_sock, through a full socket (bpf_sk_lookup_tcp)
// and a sock_common (bpf_skc_lookup_tcp), loaded by the running kernel and judged by ours; every
// verdict and message must agree (bpf_sock_is_valid_access / bpf_sock_common_is_valid_access).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyObject } from '../../src/core/verifier/verifyObject';
import { kernelVerifyObject } from '../../src/node/kernelVerify';
import { compileBpf } from './lib/compile';
import { acquireKernelLock } from './lib/lock';
import type { KernelLock } from './lib/lock';
import { probe } from './lib/probe';

const skip = probe();
const fixtureDir = path.resolve(__dirname, '../fixtures/verifier');
const BPF_SOCK_SIZE = 80;
const TYPES: Record<number, string> = { 1: '__u8', 2: '__u16', 4: '__u32', 8: '__u64' };

/** One program per aligned read of [0, 88): the 8 bytes past the struct are refused too. */
function source(lookup: 'bpf_sk_lookup_tcp' | 'bpf_skc_lookup_tcp', prefix: string): string {
  let c = '#include "sock.h"\n\n';
  for (const size of [1, 2, 4, 8])
    for (let off = 0; off < BPF_SOCK_SIZE + 8; off += size)
      c += `SEC("xdp")
int ${prefix}${off}_${size}(struct xdp_md *ctx)
{
	struct bpf_sock_tuple t;
	struct bpf_sock *sk;
	__u64 v;

	sock_tuple_v4(&t);
	sk = ${lookup}(ctx, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return XDP_PASS;
	v = *(volatile ${TYPES[size]} *)((void *)sk + ${off});
	bpf_sk_release(sk);
	return v ? XDP_DROP : XDP_PASS;
}

`;
  return `${c}char LICENSE[] SEC("license") = "GPL";\n`;
}

describe('socket field reads: ours and the kernel agree on every offset and size', { skip }, () => {
  let lock: KernelLock;
  let dir: string;
  before(async () => {
    lock = await acquireKernelLock();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-sockaccess-'));
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await lock.release();
  });

  for (const [lookup, prefix] of [
    ['bpf_sk_lookup_tcp', 'sk_'],
    ['bpf_skc_lookup_tcp', 'skc_'],
  ] as const)
    test(`${lookup}: ${prefix}OFF_SIZE`, async () => {
      const src = path.join(dir, `${prefix}access.bpf.c`);
      fs.writeFileSync(src, source(lookup, prefix));
      const obj = compileBpf(src, path.join(dir, `${prefix}access.o`), { includeDirs: [fixtureDir] });
      const kernel = await kernelVerifyObject(obj);
      const ours = verifyObject(new Uint8Array(fs.readFileSync(obj)));
      const judged = (p: (typeof kernel.programs)[number] | undefined) =>
        p && `${p.verdict}${p.verdict === 'rejected' ? `: ${p.error?.message}` : ''}`;
      const differ = kernel.programs
        .map((k) => ({
          name: k.name,
          kernel: judged(k),
          ours: judged(ours.programs.find((o) => o.name === k.name)),
        }))
        .filter((d) => d.kernel !== d.ours);
      // Not vacuous: the kernel both accepts and refuses some of them.
      assert.ok(kernel.programs.some((p) => p.verdict === 'accepted'));
      assert.ok(kernel.programs.some((p) => p.verdict === 'rejected'));
      assert.deepEqual(differ, []);
      assert.equal(kernel.programs.length, 88 + 44 + 22 + 11);
    });
});
