// The simulator's kernel differential tier as a library: one scenario run by the simulator (js and
// wasm tiers) and, for real, on veth pairs in the lab's namespace `r` (ifindexes as the scenario
// gives them), compared per frame, per errno, per devmap/cpumap sum, per cpumap CPU and per device
// counter. simDifferential.test.ts runs it on test/kernel/scenarios/ (programs of diff.bpf.c); any
// other caller may pass its own object and loader (e.g. third-party objects kept outside the repo).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildFrame } from '../../../src/core/packet/frameBuilder';
import { loadScenario } from '../../../src/core/scenario/scenarioLoad';
import type { Scenario } from '../../../src/core/scenario/scenario';
import { addEvent, emptySummary, type XdpSummary } from '../../../src/core/trace/summary';
import { type XdpEvent } from '../../../src/core/trace/tracepoints';
import { parsePerfScriptLine } from '../../../src/core/trace/perfScriptParse';
import { runSimulation } from '../../../src/core/xdp/simulation';
import { createNodeHost } from '../../../src/node/nodeHost';
import { attachXdp, loadAll, mapUpdate, u32le, type LoadedObject } from './bpftool';
import { compileBpf } from './compile';
import { run } from './exec';
import { killGroup, type Lab } from './lab';
import { cpumapPerCpu, fieldHistogram, kthreadVerdicts, table } from './simCompare';
import { sendFrames } from './traffic';

/** test/kernel/scenarios: diff.bpf.c and the C helpers (livetr, mapupd, xsksock). */
export const SCENARIO_DIR = path.join(import.meta.dirname, '..', 'scenarios');
const DIR = SCENARIO_DIR;
const MARKER_TX = { name: 'xsm1', index: 4098 };
const MARKER_RX = { name: 'xsm0', index: 4099 };

/**
 * The scenarios' C helpers, each built once with gcc and libbpf: livetr.c (the live-frames test-run
 * driver), mapupd.c (the devmap/cpumap-with-program writer), xsksock.c (the AF_XDP socket holder).
 */
const built = new Map<string, string>();
function helper(name: 'livetr' | 'mapupd' | 'xsksock', tmp: string): string {
  let exe = built.get(name);
  if (!exe || !fs.existsSync(exe)) {
    exe = path.join(tmp, name);
    run(['gcc', '-O1', '-o', exe, path.join(DIR, `${name}.c`), '-lbpf']);
    built.set(name, exe);
  }
  return exe;
}

/** Starts a socket holder and resolves once its socket is in the map ("ready"). */
async function startXsk(lab: Lab, argv: string[]): Promise<void> {
  const child = lab.track(
    spawn(lab.nsArgv('r', argv)[0] as string, lab.nsArgv('r', argv).slice(1), {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`xsksock exited ${code}: ${err.trim()}`)));
  });
}

/** One compiled object for every scenario (the kernel side loads a fresh copy per scenario). */
let objectPath: string | undefined;
export function compiledObject(tmp: string): string {
  if (!objectPath || !fs.existsSync(objectPath))
    objectPath = compileBpf(path.join(DIR, 'diff.bpf.c'), path.join(tmp, 'diff.o'));
  return objectPath;
}

/** Events of the scenario's devices only: ifindexes from its lowest to its highest (the marker pair
 * lies outside: 4098-4099; scenarios keep below). */
function captureScript(
  cpumapIds: readonly number[],
  devices: ReadonlyArray<{ name: string; ifindex: number }>,
): string {
  const FIRST_IF = Math.min(...devices.map((d) => d.ifindex));
  const LAST_IF = Math.max(...devices.map((d) => d.ifindex));
  const devNames = devices.map((d) => d.name);
  const cpumap = `/${cpumapIds.length ? cpumapIds.map((id) => `args->map_id == ${id}`).join(' || ') : '0'}/`;
  const dev = (f: string): string => `/args->${f} >= ${FIRST_IF} && args->${f} <= ${LAST_IF}/`;
  const redirect = (name: string): string =>
    `tracepoint:xdp:${name} ${dev('ifindex')} { printf("xdp:${name}: prog_id=%d action=0x%x ifindex=%d to_ifindex=%d err=%d map_id=%d map_index=%d\\n", args->prog_id, args->act, args->ifindex, args->to_ifindex, args->err, args->map_id, args->map_index); }`;
  return [
    redirect('xdp_redirect'),
    redirect('xdp_redirect_err'),
    `tracepoint:xdp:xdp_exception ${dev('ifindex')} { printf("xdp:xdp_exception: prog_id=%d action=0x%x ifindex=%d\\n", args->prog_id, args->act, args->ifindex); }`,
    `tracepoint:xdp:xdp_exception /args->ifindex == ${MARKER_RX.index}/ { printf("MARKER\\n"); }`,
    `tracepoint:xdp:xdp_devmap_xmit ${dev('from_ifindex')} { printf("xdp:xdp_devmap_xmit: ndo_xdp_xmit from_ifindex=%d to_ifindex=%d action=0x%x sent=%d drops=%d err=%d\\n", args->from_ifindex, args->to_ifindex, args->act, args->sent, args->drops, args->err); }`,
    `tracepoint:xdp:xdp_bulk_tx ${dev('ifindex')} { printf("xdp:xdp_bulk_tx: ifindex=%d action=0x%x sent=%d drops=%d err=%d\\n", args->ifindex, args->act, args->sent, args->drops, args->err); }`,
    `tracepoint:xdp:xdp_cpumap_enqueue ${cpumap} { printf("xdp:xdp_cpumap_enqueue: enqueue cpu=%d map_id=%d action=0x%x processed=%u drops=%u to_cpu=%d\\n", args->cpu, args->map_id, args->act, args->processed, args->drops, args->to_cpu); }`,
    // Frames reaching the stack of a scenario device (XDP_PASS, a cpumap kthread's skbs, a device
    // without XDP): __netif_receive_skb_core fires it once per skb on every path.
    `tracepoint:net:netif_receive_skb /${devNames.map((n) => `str(args->name) == "${n}"`).join(' || ') || '0'}/ { printf("STACK %s %d\\n", str(args->name), cpu); }`,
    `tracepoint:xdp:xdp_cpumap_kthread ${cpumap} { printf("xdp:xdp_cpumap_kthread: kthread cpu=%d map_id=%d action=0x%x processed=%u drops=%u sched=%d xdp_pass=%u xdp_drop=%u xdp_redirect=%u\\n", args->cpu, args->map_id, args->act, args->processed, args->drops, args->sched, args->xdp_pass, args->xdp_drop, args->xdp_redirect); }`,
  ].join('\n');
}

/** bpftrace printing each event as perf-script text; folds them into a summary as they stream. */
class KernelCapture {
  readonly summary: XdpSummary = emptySummary();
  readonly lines: string[] = [];
  readonly events: XdpEvent[] = [];
  markers = 0;
  /** Frames that reached the stack, per device name (net:netif_receive_skb). */
  readonly stack: Record<string, number> = {};
  private attached = false;
  private stderr = '';
  private readonly exited: Promise<void>;
  private readonly child;

  constructor(script: string, lab: Lab) {
    this.child = lab.track(
      spawn('bpftrace', ['-f', 'json', '-e', script], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    let buf = '';
    this.child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const raw = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!raw) continue;
        const msg = JSON.parse(raw) as { type: string; data?: unknown };
        if (msg.type === 'attached_probes') this.attached = true;
        if (msg.type !== 'printf' || typeof msg.data !== 'string') continue;
        for (const line of msg.data.split('\n').filter(Boolean)) {
          if (line === 'MARKER') {
            this.markers++;
            continue;
          }
          if (line.startsWith('STACK ')) {
            const dev = line.split(' ')[1] ?? '';
            this.stack[dev] = (this.stack[dev] ?? 0) + 1;
            continue;
          }
          this.lines.push(line);
          const ev = parsePerfScriptLine(line, this.lines.length).event;
          this.events.push(ev);
          addEvent(this.summary, ev);
        }
      }
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** Resolves when `cond` holds, checking as events stream in; rejects after `ms` naming `what`. */
  async until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
    const t0 = Date.now();
    while (!cond()) {
      if (this.child.exitCode !== null) throw new Error(`bpftrace exited: ${this.stderr.trim()}`);
      if (Date.now() - t0 > ms)
        throw new Error(`timed out waiting for ${what}; stderr: ${this.stderr.trim()}`);
      // Poll the streamed state (a condition, not a fixed sleep: it returns as soon as it holds).
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGINT');
    const timer = setTimeout(() => killGroup(this.child), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  get isAttached(): boolean {
    return this.attached;
  }
}

function mapValueBytes(v: unknown, sc: Scenario): Uint8Array {
  if (typeof v === 'number') return u32le(v);
  // A '0x…' hex string is the bytes as written (scenario.md: sized to the map).
  if (typeof v === 'string' && /^0x[0-9a-f]*$/i.test(v) && !sc.devices.some((x) => x.name === v))
    return Uint8Array.from(v.slice(2).match(/../g) ?? [], (h) => parseInt(h, 16));
  if (typeof v === 'string') {
    const d = sc.devices.find((x) => x.name === v);
    if (!d) throw new Error(`map value ${v}: not a device`);
    return u32le(d.ifindex);
  }
  if (v && typeof v === 'object' && 'qsize' in v) return u32le((v as { qsize: number }).qsize);
  if (v && typeof v === 'object' && 'ifindex' in v) return mapValueBytes(v.ifindex, sc);
  throw new Error(`map value ${JSON.stringify(v)} cannot be written with bpftool here`);
}

/** Loads the scenario's object into a pin folder (default: diff.bpf.c with bpftool loadall). */
export type ObjectLoader = (pinDir: string, lab: Lab) => LoadedObject;

/** Builds the scenario on real veth pairs, sends its traffic, returns the kernel's summary. */
async function runInKernel(
  file: string,
  sc: Scenario,
  lab: Lab,
  load: ObjectLoader,
  expectedStack: number,
): Promise<KernelRun> {
  lab.netns('r');
  const ns = lab.ns('r');
  const done = new Set<string>();
  for (const d of sc.devices) {
    if (d.kind !== 'veth' || done.has(d.name)) continue;
    const p = sc.devices.find((x) => x.name === d.peer);
    if (!p) throw new Error(`${d.name}: no peer`);
    lab.veth({ name: d.name, index: d.ifindex, ns: 'r' }, { name: p.name, index: p.ifindex, ns: 'r' });
    done.add(d.name).add(p.name);
  }
  lab.veth({ ...MARKER_TX, ns: 'r' }, { ...MARKER_RX, ns: 'r' });
  const loaded = load(lab.pinDir(path.basename(file).replace(/\W/g, '_')), lab);
  for (const d of sc.devices) {
    lab.link('r', d.name, { gro: d.gro, ...(d.mtu !== 1500 ? { mtu: d.mtu } : {}) });
    if (d.xdp) {
      const fn = sc.programs.find((p) => p.name === d.xdp?.program)?.function ?? d.xdp.program;
      const prog = loaded.progs[fn];
      assert.ok(prog, `${fn} not loaded (have ${Object.keys(loaded.progs).join(', ')})`);
      attachXdp(ns, d.name, prog.pin, d.xdp.mode);
    }
  }
  // The marker's XDP_ABORTED program is diff.bpf.c's, loaded beside an object that has none.
  const marker = loaded.progs.aborted ?? loadAll(compiledObject(lab.tmp), lab.pinDir('marker')).progs.aborted;
  attachXdp(ns, MARKER_RX.name, (marker as { pin: string }).pin, 'native');
  for (const [name, entries] of Object.entries(sc.maps)) {
    const m = loaded.maps[name];
    assert.ok(m, `map ${name} not pinned`);
    const valueSize = (
      JSON.parse(run(['bpftool', '-j', 'map', 'show', 'pinned', m.pin]).stdout) as { bytes_value: number }
    ).bytes_value;
    for (const e of entries) {
      const v = e.value;
      if (typeof v === 'object' && 'xsk' in v) {
        // An AF_XDP socket (scenario "xsks"): created, bound as described, inserted by scenarios/xsksock.c.
        const x = sc.xsks.find((s) => s.name === v.xsk);
        assert.ok(
          x && x.chunkSize === 2048 && x.headroom === 0 && !x.zeroCopy,
          `xsk ${v.xsk}: the harness models 2048-byte copy-mode sockets`,
        );
        const dev = sc.devices.find((d) => d.name === x.device);
        const key = new DataView(mapValueBytes(e.key, sc).buffer).getUint32(0, true);
        const args = x.bound
          ? [
              'bound',
              String(dev?.ifindex),
              String(x.queue),
              String(x.rxRing),
              String(x.fillRing),
              ...(x.sg ? ['sg'] : []),
            ]
          : ['unbound'];
        await startXsk(lab, [helper('xsksock', lab.tmp), m.pin, String(key), ...args]);
      } else if (typeof v === 'object' && valueSize === 8 && ('ifindex' in v || 'qsize' in v)) {
        // {ifindex|qsize, program fd} (bpf_devmap_val / bpf_cpumap_val), written by scenarios/mapupd.c.
        const progName = 'program' in v ? v.program : undefined;
        const fn =
          progName === undefined
            ? undefined
            : (sc.programs.find((p) => p.name === progName)?.function ?? progName);
        const num = 'ifindex' in v ? mapValueBytes(v.ifindex, sc) : u32le((v as { qsize: number }).qsize);
        const key = new DataView(mapValueBytes(e.key, sc).buffer).getUint32(0, true);
        const val = new DataView(num.buffer).getUint32(0, true);
        const pin = fn === undefined ? '-' : (loaded.progs[fn] as { pin: string }).pin;
        lab.exec('r', [helper('mapupd', lab.tmp), m.pin, String(key), String(val), pin]);
      } else mapUpdate(m.pin, mapValueBytes(e.key, sc), mapValueBytes(e.value, sc), ns);
    }
  }
  for (const d of sc.devices) if (!d.up) lab.link('r', d.name, { up: false });

  const cap = new KernelCapture(
    captureScript(
      // Every CPUMAP of the object, whatever its name (bpf-examples calls it `cpumap`).
      Object.values(loaded.maps)
        .map(
          (m) =>
            JSON.parse(run(['bpftool', '-j', 'map', 'show', 'pinned', m.pin]).stdout) as {
              id: number;
              type: string;
            },
        )
        .filter((m) => m.type === 'cpumap')
        .map((m) => m.id),
      sc.devices,
    ),
    lab,
  );
  await cap.until(() => cap.isAttached, 'bpftrace to attach its probes', 60_000);
  for (const t of sc.traffic) {
    assert.ok(t.frame, 'differential scenarios use inline frames');
    if (t.kind === 'testRun') {
      // BPF_PROG_TEST_RUN live frames on the device's program, pinned to the scenario's CPU.
      const dev = sc.devices.find((d) => d.name === t.device);
      const fn = sc.programs.find((p) => p.name === dev?.xdp?.program)?.function ?? '';
      const hex = Array.from(t.frame, (b) => b.toString(16).padStart(2, '0')).join('');
      lab.exec('r', [
        'taskset',
        '-c',
        String(t.cpu),
        helper('livetr', lab.tmp),
        (loaded.progs[fn] as { pin: string }).pin,
        String(dev?.ifindex ?? 0),
        String(t.count),
        String(t.burst),
        hex,
      ]);
      continue;
    }
    const sent = sendFrames(ns, t.device, t.frame, t.count, t.cpu);
    // A frame larger than the sender's MTU is refused by the socket, as the simulator counts it.
    assert.ok(sent <= t.count);
  }
  sendFrames(ns, MARKER_TX.name, buildFrame({}), 1);
  await cap.until(() => cap.markers > 0, 'the marker frame');
  // The cpumap kthread runs asynchronously: wait until it has consumed every frame the ring kept.
  const s = cap.summary;
  await cap.until(
    () => s.cpumap.kthread.processed >= s.cpumap.enqueue.processed - s.cpumap.enqueue.drops,
    'the cpumap kthread',
  );
  // The kthread fires its tracepoint before it hands its skbs to the stack (cpu_map_kthread_run):
  // wait for the deliveries the simulator counted; a shortfall is reported by the table, not here.
  const stackTotal = (): number => Object.values(cap.stack).reduce((a, b) => a + b, 0);
  await cap.until(() => stackTotal() >= expectedStack, 'stack deliveries', 2_000).catch(() => undefined);
  await cap.stop();
  // Frames each native program ran on: veth's rx_queue_N_xdp_packets (veth_xdp_rcv), all queues.
  const xdpRuns: Record<string, number> = {};
  for (const d of sc.devices) {
    if (d.xdp?.mode !== 'native' || d.kind !== 'veth') continue;
    const stats = run(lab.nsArgv('r', ['ethtool', '-S', d.name])).stdout;
    xdpRuns[d.name] = [...stats.matchAll(/rx_queue_\d+_xdp_packets: (\d+)/g)].reduce(
      (a, m) => a + Number(m[1]),
      0,
    );
  }
  return { summary: cap.summary, lines: cap.lines, events: cap.events, stack: cap.stack, xdpRuns };
}

interface KernelRun {
  summary: XdpSummary;
  lines: string[];
  events: XdpEvent[];
  /** Frames that reached the stack per device name. */
  stack: Record<string, number>;
  /** Frames each natively attached veth program ran on (ethtool -S). */
  xdpRuns: Record<string, number>;
}

export interface CompareOptions {
  /** How the kernel side loads the scenario's object (default: diff.bpf.c through bpftool). */
  load?: ObjectLoader;
}

/**
 * Runs one scenario file in the simulator (js and wasm tiers must agree) and in the kernel, prints
 * the table of both sides and asserts every compared figure equal. A program file `*.c` of the
 * scenario is diff.bpf.c (compiled once); `*.o` files are read as they are.
 */
export async function compareScenario(file: string, lab: Lab, opts: CompareOptions = {}): Promise<void> {
  const f = path.basename(file);
  const text = fs.readFileSync(file, 'utf8');
  const obj = compiledObject(lab.tmp);
  const load = opts.load ?? ((pinDir: string): LoadedObject => loadAll(obj, pinDir));
  const loadOpts = (tier?: 'wasm') => ({
    host: createNodeHost(() => undefined),
    compileC: () => Promise.resolve(new Uint8Array(fs.readFileSync(obj))),
    ...(tier ? { tier } : {}),
  });
  const input = await loadScenario(file, text, loadOpts());
  const simResult = runSimulation(input);
  const sim = simResult.summary;
  assert.deepEqual(sim.warnings, [], 'the scenario sets up cleanly in the simulator');
  // The programs on the wasm tier (docs/simulator.md "Tiers"): the same summary and events as
  // on js, so what is compared with the kernel below holds for both tiers.
  const onWasm = runSimulation(await loadScenario(file, text, loadOpts('wasm')));
  assert.deepEqual(onWasm.summary, sim, `${f}: the wasm tier's summary differs from the js tier's`);
  assert.deepEqual(onWasm.events, simResult.events, `${f}: the wasm tier's events differ from the js tier's`);
  const simStack = Object.values(simResult.summary.devices).reduce((a, d) => a + d.stack, 0);
  const kernel = await runInKernel(file, input.scenario, lab, load, simStack);
  // Per CPU (a round robin's split) and per device: what reached each stack, what each native
  // program ran on.
  const simCpu = cpumapPerCpu(simResult.events.map((e) => e.event));
  const kernelCpu = cpumapPerCpu(kernel.events);
  const extra: Array<[string, number, number]> = [];
  for (const k of [...new Set([...Object.keys(simCpu), ...Object.keys(kernelCpu)])].sort())
    extra.push([k, simCpu[k] ?? 0, kernelCpu[k] ?? 0]);
  // Test-run frames (traffic kind testRun) run the program without veth's rx path, so ethtool
  // does not count them; on a generic-mode device net:netif_receive_skb fires before
  // do_xdp_generic (__netif_receive_skb_core), so it counts frames the program then drops.
  const testRun = new Set(input.scenario.traffic.filter((t) => t.kind === 'testRun').map((t) => t.device));
  for (const d of input.scenario.devices) {
    const counts = simResult.summary.devices[d.name];
    if (d.name in kernel.xdpRuns && !testRun.has(d.name))
      extra.push([`xdp runs at ${d.name}`, counts?.xdpRx ?? 0, kernel.xdpRuns[d.name] ?? 0]);
    if (d.xdp?.mode !== 'generic')
      extra.push([`stack at ${d.name}`, counts?.stack ?? 0, kernel.stack[d.name] ?? 0]);
  }
  const { text: report, mismatches } = table(
    `${f}: ${input.scenario.description ?? ''}`,
    sim,
    kernel.summary,
    extra,
  );
  console.log(report);
  assert.deepEqual(
    mismatches,
    [],
    `${f}: the simulator and the kernel disagree\n${report}\nkernel events:\n${kernel.lines.join('\n')}`,
  );
  // Field by field (ifindex, to_ifindex, err, map_index, map_id markers, exception actions).
  assert.deepEqual(
    fieldHistogram(simResult.events.map((e) => e.event)),
    fieldHistogram(kernel.events),
    `${f}: per-frame event fields differ\nkernel events:\n${kernel.lines.join('\n')}`,
  );
  assert.deepEqual(
    kthreadVerdicts(simResult.events.map((e) => e.event)),
    kthreadVerdicts(kernel.events),
    `${f}: cpumap program verdict sums differ`,
  );
  // A scenario that fires nothing proves nothing: each one exercises at least one tracepoint.
  assert.ok(
    Object.values(kernel.summary.tracepoints).some((n) => n > 0),
    `${f}: no tracepoint fired in the kernel`,
  );
}
