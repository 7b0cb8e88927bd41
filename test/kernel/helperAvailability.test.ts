// The helper catalog's "XDP may call it" flag against the running kernel: for every helper id, an XDP
// program calling it is loaded; the verifier either refuses the helper for this program type
// ("program of this type cannot use helper", "unknown func", "helper call might sleep") or goes on to
// check the arguments — which means XDP may call it. The catalog must agree for all 211 helpers. The
// same programs under a non-GPL license tell which of the XDP helpers are GPL-only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { helperCatalog } from '../../src/core/bpf/helperCatalog';
import { acquireKernelLock } from './lib/lock';
import type { KernelLock } from './lib/lock';
import { probe } from './lib/probe';

const run = promisify(execFile);
const refused = /program of this type cannot use helper|unknown func|helper call might sleep/;

/** Compiles an XDP program calling helper `id` under `license` and returns what bpftool/the verifier said. */
async function load(dir: string, id: number, license: string): Promise<string> {
  const base = path.join(dir, `h${id}_${license.replace(/\W/g, '')}`);
  fs.writeFileSync(
    `${base}.c`,
    `#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nSEC("xdp") int p(struct xdp_md *ctx) { return ((long (*)(long, long, long, long, long))${id})((long)ctx, 0, 0, 0, 0); }\nchar LICENSE[] SEC("license") = "${license}";\n`,
  );
  await run('clang', [
    '-O2',
    '-target',
    'bpf',
    '-I/usr/include/x86_64-linux-gnu',
    '-c',
    `${base}.c`,
    '-o',
    `${base}.o`,
  ]);
  const pin = `/sys/fs/bpf/xdplab_helper_${process.pid}_${id}`;
  try {
    await run('bpftool', ['prog', 'load', `${base}.o`, pin]);
    return 'loaded';
  } catch (e) {
    return String((e as { stderr?: string }).stderr ?? e);
  } finally {
    fs.rmSync(pin, { force: true });
  }
}

async function pool<T>(items: readonly T[], width: number, f: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await f(items[next++] as T);
    }),
  );
}

let lock: KernelLock;
let dir: string;
before(async () => {
  if (probe()) return;
  lock = await acquireKernelLock();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-helpers-'));
});
after(async () => {
  if (probe()) return;
  fs.rmSync(dir, { recursive: true, force: true });
  await lock.release();
});

test(
  'every helper: the catalog says XDP may call it exactly when the 6.18 verifier lets an XDP program call it',
  { skip: probe() },
  async () => {
    const verdicts = new Map<number, { allowed: boolean; said: string }>();
    await pool(helperCatalog, 4, async (h) => {
      const said = await load(dir, h.id, 'GPL');
      verdicts.set(h.id, {
        allowed: !refused.test(said),
        said: said.split('\n').find((l) => /helper|func|type=|loaded/.test(l)) ?? said.slice(0, 120),
      });
    });
    const wrong = helperCatalog
      .filter((h) => verdicts.get(h.id)?.allowed !== h.xdp)
      .map((h) => `${h.name} (#${h.id}): catalog xdp=${h.xdp}, kernel: ${verdicts.get(h.id)?.said}`);
    assert.deepEqual(wrong, []);
  },
);

test(
  'every helper XDP may call: GPL-only in the catalog exactly when the verifier refuses it to a non-GPL program',
  { skip: probe() },
  async () => {
    const gpl = new Map<number, boolean>();
    const xdpHelpers = helperCatalog.filter((h) => h.xdp);
    await pool(xdpHelpers, 4, async (h) => {
      gpl.set(h.id, /GPL-restricted/.test(await load(dir, h.id, 'Proprietary')));
    });
    const wrong = xdpHelpers
      .filter((h) => gpl.get(h.id) !== h.gplOnly)
      .map(
        (h) =>
          `${h.name}: catalog gplOnly=${h.gplOnly}, kernel ${gpl.get(h.id) ? 'refuses' : 'accepts'} it without GPL`,
      );
    assert.deepEqual(wrong, []);
    assert.ok(
      [...gpl.values()].some(Boolean),
      'some XDP helpers are GPL-only (bpf_trace_printk, bpf_fib_lookup)',
    );
  },
);
