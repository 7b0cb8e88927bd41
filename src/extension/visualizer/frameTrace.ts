// The frame stepper's data: runs the program that first received a frame again, in the VM's trace
// mode (XdpProgram.testRun with onStep), on the frame's bytes as its traffic entry built them (or
// the pcap frame it sent), and returns one entry per instruction — pc, BTF source line, the
// instruction, r0–r10, and each helper call with what it returned. Maps are as the simulation left them (the run reads and writes them).
import { helperById } from '../../core/bpf/helperCatalog';
import type { LoadedScenario } from '../../core/scenario/scenarioLoad';
import { xdpActionNames } from '../../core/trace/tracepoints';
import type { XdpProgram } from '../../core/vm/xdpProgram';
import type { SimulationResult } from '../../core/xdp/simulationResult';
import type { TraceReply, TraceStepView } from '../../protocol/visualizer';

const MAX_STEPS = 20_000;
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const u64 = (x: bigint): string => '0x' + BigInt.asUintN(64, x).toString(16);

function insnHex(i: { op: number; dst: number; src: number; off: number; imm: number }): string {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  b[0] = i.op;
  b[1] = (i.dst & 15) | ((i.src & 15) << 4);
  v.setInt16(2, i.off, true);
  v.setInt32(4, i.imm, true);
  return hex(b);
}

const fail = (message: string): TraceReply => ({ ok: false, message, steps: [] });

export function traceFrame(
  input: LoadedScenario,
  result: SimulationResult,
  frameId: number,
  resolve: (file: string) => string,
): TraceReply {
  const info = result.frames.find((f) => f.id === frameId);
  if (!info) return fail(`frame ${frameId} is not among the frames the run kept`);
  const root = info.parent !== undefined ? result.frames.find((f) => f.id === info.parent) : info;
  const rootInfo = root ?? info;
  const t = input.scenario.traffic[rootInfo.traffic];
  if (!t) return fail(`frame ${frameId}: its traffic entry is gone`);
  // A pcap entry sends its file's frames in order, `count` times over: the frame's place among the
  // entry's frames (ids grow in injection order; the kept list holds every earlier one) picks it.
  let bytes = t.frame;
  if (!bytes) {
    const list = input.pcaps?.get(t.pcap ?? '');
    if (!list?.length)
      return fail(`frame ${frameId}: the pcap ${t.pcap ?? '?'} of its traffic entry is gone`);
    const k = result.frames.filter(
      (f) => f.traffic === rootInfo.traffic && f.parent === undefined && f.id < rootInfo.id,
    ).length;
    bytes = list[k % list.length];
  }
  if (!bytes) return fail(`frame ${frameId}: no bytes for it`);
  // A frame sent "from" a veth end arrives at its peer; an "rx" frame at the NIC itself.
  const sender = result.topology.devices.find((d) => d.name === t.device);
  const rxName = t.kind === 'from' ? sender?.peer : t.device;
  const rx = result.topology.devices.find((d) => d.name === rxName);
  if (!rx) return fail(`frame ${frameId}: no receiving device`);
  if (!rx.xdp || rx.xdp.attachError)
    return fail(`${rx.name} runs no XDP program: frame ${frameId} goes to the stack without one`);
  const sp = input.scenario.programs.find((p) => p.name === rx.xdp?.program);
  const obj =
    sp?.file !== undefined
      ? (input.objects.get(sp.file) as { programs: readonly XdpProgram[] } | undefined)
      : undefined;
  const prog = obj?.programs.find((h) =>
    sp?.function !== undefined ? h.name === sp.function : h.attach === 'xdp',
  );
  if (!sp || sp.file === undefined || !prog || typeof prog.testRun !== 'function')
    return fail(`program ${rx.xdp.program} cannot be traced`);

  const raw: Array<{ program: string; pc: number; regs: bigint[] }> = [];
  let truncated = false;
  const run = prog.testRun(bytes, {
    ingressIfindex: rx.ifindex,
    rxQueueIndex: t.queue,
    cpu: t.cpu,
    onStep: (s) => {
      if (raw.length < MAX_STEPS) raw.push({ program: s.program, pc: s.pc, regs: s.regs.slice(0, 11) });
      else truncated = true;
    },
  });
  const steps: TraceStepView[] = raw.map((s, k) => {
    const insn = s.program === prog.name ? prog.insns[s.pc] : undefined;
    const line = s.program === prog.name ? prog.sourceOf(s.pc)?.line : undefined;
    const step: TraceStepView = {
      pc: s.pc,
      insn: insn ? insnHex(insn) : '',
      regs: s.regs.map(u64),
      ...(line ? { line } : {}),
    };
    if (insn && insn.op === 0x85 && insn.src === 0) {
      const next = raw[k + 1];
      step.call = {
        helper: helperById(insn.imm)?.name ?? `helper #${insn.imm}`,
        returned: next ? u64(next.regs[0] ?? 0n) : '?',
      };
    }
    return step;
  });
  const first = prog.sourceOf(0);
  const file = /\.c$/i.test(sp.file)
    ? resolve(sp.file)
    : first?.file
      ? resolve(first.file)
      : resolve(sp.file);
  return {
    ok: !run.fault,
    ...(run.fault ? { message: `fault at pc ${run.fault.pc}: ${run.fault.message}` } : {}),
    frame: frameId,
    device: rx.name,
    program: rx.xdp.program,
    file,
    action:
      run.action < xdpActionNames.length
        ? `XDP_${xdpActionNames[run.action]}`
        : `invalid action ${run.action}`,
    steps,
    packetIn: hex(bytes),
    packetOut: hex(run.dataOut),
    ...(truncated ? { truncated } : {}),
  };
}
