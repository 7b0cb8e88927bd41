// Several programs on one device as libxdp's dispatcher runs them (issue 13 item 6), against the real
// kernel and the real libxdp. (1) xdp-loader (libxdp) reads each object's XDP_RUN_CONFIG and the
// -P/-A overrides exactly as the simulator's chain does; where the kernel lets libxdp attach its
// dispatcher (freplace, BPF_PROG_TYPE_EXT) its run order is ours too. (2) The dispatcher's run
// semantics on real traffic: test/fixtures/programs/dispatch/disp_chain.bpf.c is the three fixture
// programs behind a dispatcher written as xdp-dispatcher.c.in is (the kernel runs it where EXT loads
// are refused), on a veth in a netns; the programs' own maps, the xdp_redirect events of the
// dispatcher's prog id, devmap_xmit and each frame's verdict (BPF_PROG_TEST_RUN) equal the
// simulation of the same scenario. Netns prefix xldisp-, ifindexes 7501-7599.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { CoreHost } from '../../src/core/host';
import type { LoadedObject as ElfObject } from '../../src/core/elf/loadObject';
import { loadScenario } from '../../src/core/scenario/scenarioLoad';
import { Simulation } from '../../src/core/xdp/simulation';
import { attachXdp, loadAll, mapDump, mapUpdate, progRun } from './lib/bpftool';
import { BpftraceCapture, xdpCountScript } from './lib/bpftrace';
import { compileBpf } from './lib/compile';
import { hasTool } from './lib/exec';
import { type Lab, withLab } from './lib/lab';
import { probe } from './lib/probe';
import { sendFrames, udpFrame } from './lib/traffic';

const root = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(root, 'test/fixtures/programs/dispatch');
const PORTS = [7, 8, 9, 10, 11];
const COUNT = 4;
const host: CoreHost = {
  nowNs: () => 0n,
  log: () => undefined,
  readFile: async (p) => new Uint8Array(await fs.promises.readFile(p)),
  resolvePath: (base, rel) => path.resolve(path.dirname(base), rel),
};
const skip = probe() ?? (hasTool('xdp-loader') ? undefined : 'xdp-loader (xdp-tools) is not installed');

/** The component objects, built the way the kernel side builds them. */
function buildComponents(lab: Lab): Record<'count' | 'drop' | 'redir', string> {
  const out = (n: string) =>
    compileBpf(path.join(fixtures, `disp_${n}.bpf.c`), path.join(lab.tmp, `disp_${n}.o`));
  return { count: out('count'), drop: out('drop'), redir: out('redir') };
}

/** The simulated twin of the lab: a0 ⇄ r1 (the chain), r2 ⇄ c0 (a pass program); same ifindexes. */
function scenario(xdp: unknown, frames: Uint8Array[]): unknown {
  return {
    version: 1,
    programs: [
      { name: 'redir', file: 'disp_redir.o', function: 'xdp_redir8' },
      { name: 'peer', file: 'disp_redir.o', function: 'xdp_pass_peer' },
      { name: 'count', file: 'disp_count.o' },
      { name: 'drop9', file: 'disp_drop.o' },
    ],
    devices: [
      { name: 'a0', kind: 'veth', peer: 'r1', ifindex: 7501 },
      { name: 'r1', kind: 'veth', peer: 'a0', ifindex: 7502, xdp },
      { name: 'r2', kind: 'veth', peer: 'c0', ifindex: 7503 },
      { name: 'c0', kind: 'veth', peer: 'r2', ifindex: 7504, xdp: { program: 'peer' } },
    ],
    maps: { disp_tx: [{ key: 0, value: 'r2' }] },
    traffic: frames.map((f) => ({ from: 'a0', count: COUNT, frame: Buffer.from(f).toString('hex') })),
  };
}

/** `bpftool -j map dump` of an ARRAY of u64 (with BTF: formatted key/value) → values by key. */
function u64Array(dump: unknown[]): number[] {
  return dump.map((e) => {
    const f = (e as { formatted?: { value: number } }).formatted;
    if (f) return Number(f.value);
    const bytes = (e as { value: string[] }).value.map((h) => parseInt(h, 16));
    return bytes.reduceRight((n, b) => n * 256 + b, 0);
  });
}

void test(
  "xdp-loader (libxdp) reads the run configs and -P/-A as the simulator's chain does",
  { skip },
  async () => {
    await withLab('xldisp-', async (lab) => {
      lab.netns('a');
      lab.netns('b');
      lab.veth({ name: 'xldisp0', index: 7511, ns: 'a' }, { name: 'xldisp1', index: 7512, ns: 'b' });
      const objs = buildComponents(lab);
      const files = [objs.redir, objs.drop, objs.count];
      const cases: { flags: string[]; xdp: unknown }[] = [
        { flags: [], xdp: [{ program: 'redir' }, { program: 'drop9' }, { program: 'count' }] },
        {
          flags: ['-P', '70', '-A', 'XDP_PASS,XDP_TX'],
          xdp: ['redir', 'drop9', 'count'].map((program) => ({
            program,
            priority: 70,
            chainCallActions: ['XDP_PASS', 'XDP_TX'],
          })),
        },
      ];
      try {
        for (const c of cases) {
          const r = lab.exec(
            'b',
            ['xdp-loader', 'load', '-vv', '-m', 'skb', ...c.flags, 'xldisp1', ...files],
            {
              allowFailure: true,
            },
          );
          const text = r.stdout + r.stderr;
          // "XDP program 0: Run prio: 60. Chain call actions: XDP_DROP,XDP_PASS", per file as given.
          const libxdp = [
            ...text.matchAll(/XDP program (\d+): Run prio: (\d+)\. Chain call actions: (\S*)/g),
          ].map((m) => ({
            prio: Number(m[2]),
            actions: (m[3] ?? '').split(',').filter(Boolean).sort().join(','),
          }));
          assert.equal(libxdp.length, 3, `xdp-loader printed no run configs:\n${text}`);
          fs.writeFileSync(path.join(lab.tmp, 'x.xdpscenario.json'), JSON.stringify(scenario(c.xdp, [])));
          const input = await loadScenario(
            path.join(lab.tmp, 'x.xdpscenario.json'),
            fs.readFileSync(path.join(lab.tmp, 'x.xdpscenario.json'), 'utf8'),
            { host },
          );
          const comps = new Simulation(input).topology.devices[1]!.xdp!.dispatcher!.components;
          const ours = ['redir', 'drop9', 'count'].map((n) => {
            const k = comps.find((x) => x.program === n)!;
            return { prio: k.priority, actions: [...k.chainCallActions].sort().join(',') };
          });
          assert.deepEqual(ours, libxdp, `flags ${c.flags.join(' ') || '(none)'}`);
          if (r.status === 0) {
            // This kernel let libxdp attach: its dispatcher's order is the simulator's.
            const status = lab.exec('b', ['xdp-loader', 'status', 'xldisp1']).stdout;
            const at = (fn: string) => status.indexOf(fn);
            const order = comps.map((k) => k.function);
            assert.ok(
              order.every((fn, i) => i === 0 || at(order[i - 1]!) < at(fn)),
              `order ${order.join(' ')}:\n${status}`,
            );
            lab.exec('b', ['xdp-loader', 'unload', '-a', 'xldisp1']);
          } else
            // Linux here refuses freplace (EXT) loads, so libxdp cannot attach its dispatcher at all.
            assert.match(
              text,
              /Compatibility check for dispatcher program failed|Operation not permitted/,
              text,
            );
        }
      } finally {
        lab.exec('b', ['xdp-loader', 'unload', '-a', 'xldisp1'], { allowFailure: true });
      }
    });
  },
);

void test(
  'a chain of three programs on real traffic: the kernel and the simulation agree',
  { skip },
  async (t) => {
    await withLab('xldisp-', async (lab) => {
      lab.netns('a');
      lab.netns('b');
      lab.netns('c');
      lab.veth({ name: 'xldisp0', index: 7501, ns: 'a' }, { name: 'xldisp1', index: 7502, ns: 'b' });
      lab.veth({ name: 'xldisp2', index: 7503, ns: 'b' }, { name: 'xldisp3', index: 7504, ns: 'c' });
      const chain = loadAll(
        compileBpf(path.join(fixtures, 'disp_chain.bpf.c'), path.join(lab.tmp, 'disp_chain.o')),
        lab.pinDir('chain'),
      );
      const disp = chain.progs.xdp_dispatcher!;
      attachXdp(lab.ns('b'), 'xldisp1', disp.pin, 'native');
      attachXdp(lab.ns('c'), 'xldisp3', chain.progs.xdp_pass_peer!.pin, 'native');
      mapUpdate(chain.maps.disp_tx!.pin, 0, 7503, lab.ns('b'));
      const frames = PORTS.map((dstPort) => udpFrame({ dstPort }));
      const cap = await BpftraceCapture.start(
        xdpCountScript({ progId: disp.id, ifindexes: [7502, 7503] }),
        lab,
      );
      for (const f of frames) assert.equal(sendFrames(lab.ns('a'), 'xldisp0', f, COUNT), COUNT);
      const { maps } = await cap.stop();
      const kSeen = u64Array(mapDump(chain.maps.disp_seen!.pin));
      const kAfter = u64Array(mapDump(chain.maps.disp_after!.pin));
      // Each frame's verdict: the dispatcher under BPF_PROG_TEST_RUN (after the map reads: it counts too).
      const kVerdicts = frames.map((f) => progRun(disp.pin, f, lab.tmp).retval);

      buildComponents(lab);
      const file = path.join(lab.tmp, 'd.xdpscenario.json');
      const xdp = [{ program: 'redir' }, { program: 'drop9' }, { program: 'count' }];
      fs.writeFileSync(file, JSON.stringify(scenario(xdp, frames)));
      const input = await loadScenario(file, fs.readFileSync(file, 'utf8'), { host });
      const r = new Simulation(input, { maxSteps: 100_000 }).run();
      const map = (o: string, m: string) => (input.objects.get(o) as ElfObject).map(m)!;
      const sim = (o: string, m: string) =>
        Array.from({ length: 8 }, (_, k) =>
          [...(map(o, m).userLookup(new Uint8Array([k, 0, 0, 0])) as Uint8Array)].reduceRight(
            (n, b) => n * 256 + b,
            0,
          ),
        );
      t.diagnostic(
        `kernel: seen ${kSeen.join(',')} after ${kAfter.join(',')} events ${JSON.stringify(maps)} verdicts ${kVerdicts.join(',')}`,
      );
      assert.deepEqual(sim('disp_count.o', 'disp_seen'), kSeen, 'frames the first program saw, per port & 7');
      assert.deepEqual(sim('disp_redir.o', 'disp_after'), kAfter, 'frames that reached the last program');
      const events = (maps['@events'] ?? {}) as Record<string, number>;
      assert.equal(
        r.summary.tracepoints['xdp:xdp_redirect'] ?? 0,
        events['tracepoint:xdp:xdp_redirect'] ?? 0,
      );
      assert.equal(r.summary.devmapXmit.sent, Number(maps['@sent'] ?? 0));
      assert.equal(events['tracepoint:xdp:xdp_redirect'], COUNT, 'xdp_redirect names the dispatcher');
      // Per frame: the simulated dispatcher's verdict (its first run step per traffic entry).
      const runOf = (ti: number) =>
        r.timeline.find(
          (s) => s.k === 'run' && s.device === 'r1' && r.frames.find((f) => f.id === s.frame)?.traffic === ti,
        );
      const sVerdicts = PORTS.map((_, i) => {
        const s = runOf(i);
        return s && s.k === 'run' ? s.action : -1;
      });
      assert.deepEqual(sVerdicts, kVerdicts);
      // Port 7: the last program's XDP_DROP continues (its chain actions) → the dispatcher passes.
      assert.deepEqual(kVerdicts, [2, 4, 1, 1, 2]);
    });
  },
);
