// A starter scenario that shows the program working (issue 13 item 9): the program is run on the
// starter frame first and its redirect maps get entries at the keys it looked up. Real clang, real
// VM, real simulation of the written scenario.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { probeStarterProgram } from '../../src/core/scenario/starterProbe';
import { loadScenario } from '../../src/core/scenario/scenarioLoad';
import { starterScenario } from '../../src/core/scenario/starterScenario';
import { Simulation } from '../../src/core/xdp/simulation';
import { compileBpfC } from '../../src/node/clang';
import { createNodeHost } from '../../src/node/nodeHost';

const haveClang = spawnSync('clang', ['--version']).status === 0;

// The case from the issue: the program computes DEVMAP key 2 (from the UDP port), not 0.
const SOURCE = `#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
\t__uint(type, BPF_MAP_TYPE_DEVMAP);
\t__type(key, __u32);
\t__type(value, __u32);
\t__uint(max_entries, 8);
} tx_port SEC(".maps");

SEC("xdp")
int xdp_port_map(struct xdp_md *ctx)
{
\tvoid *data = (void *)(long)ctx->data;
\tvoid *data_end = (void *)(long)ctx->data_end;
\tstruct ethhdr *eth = data;
\tstruct iphdr *iph = (void *)(eth + 1);
\tstruct udphdr *udp = (void *)(iph + 1);

\tif ((void *)(udp + 1) > data_end || iph->protocol != 17)
\t\treturn XDP_PASS;
\t__u32 key = bpf_ntohs(udp->dest) % 3; /* port 8 -> key 2 */
\treturn bpf_redirect_map(&tx_port, key, XDP_PASS);
}

char _license[] SEC("license") = "GPL";
`;

void test(
  'the starter puts the DEVMAP entry at the key the program computes, and its simulation redirects',
  {
    skip: !haveClang && 'no clang',
  },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-starter-'));
    try {
      const file = path.join(dir, 'portmap.bpf.c');
      fs.writeFileSync(file, SOURCE);
      const { object } = await compileBpfC(file);
      const probe = probeStarterProgram(object, 'xdp_port_map');
      assert.equal(probe.problem, undefined);
      assert.deepEqual(probe.redirectKeys, { tx_port: [2] });

      const withProbe = JSON.parse(starterScenario('portmap.bpf.c', SOURCE, probe)) as {
        maps: Record<string, Array<{ key: unknown; value: unknown }>>;
      };
      assert.deepEqual(withProbe.maps.tx_port, [{ key: 2, value: 'r2' }]);

      // Simulated as written: every frame is redirected to r2 (16 of 16), none silently passed.
      const simulate = async (text: string) => {
        const input = await loadScenario(path.join(dir, 's.xdpscenario.json'), text, {
          host: createNodeHost(() => undefined),
          compileC: async (c: string) => (await compileBpfC(c)).object,
        });
        return new Simulation(input, {}).run().summary;
      };
      const probed = await simulate(starterScenario('portmap.bpf.c', SOURCE, probe));
      assert.equal(probed.tracepoints['xdp:xdp_redirect'], 16);
      assert.equal(probed.actions.r1?.XDP_REDIRECT, 16);
      // Without the probe (the old starter: key 0) the same program passes all 16 — the miss it hid.
      const blind = await simulate(starterScenario('portmap.bpf.c', SOURCE));
      assert.equal(blind.actions.r1?.XDP_PASS, 16);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

void test('a program that faults or an object that does not load leaves the defaults, with the reason', () => {
  const probe = probeStarterProgram(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]), 'x');
  assert.deepEqual(probe.redirectKeys, {});
  assert.ok(probe.problem && probe.problem.length > 0);
});
