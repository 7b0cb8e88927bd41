// libxdp's multi-program dispatcher (xdp-tools lib/libxdp/xdp-dispatcher.c.in, libxdp.c): the one
// XDP program the kernel has attached when xdp-loader puts several on a device. It calls each
// component (an freplace of its progN slot) on the same xdp_md in priority order; a return whose bit
// is in that component's chain_call_actions continues the chain, any other is the verdict, and when
// every component continued the dispatcher returns XDP_PASS.
import type { XdpRunConfig } from '../elf/xdpRunConfig';
import { xdpActionNames } from '../trace/tracepoints';
import { XdpProgram } from '../vm/xdpProgram';
import type { RunOptions } from '../vm/xdpProgram';
import type { ProgramFault, XdpBuffer, XdpProgramHandle, XdpRunContext, XdpRunResult } from '../vm/xdpRun';
import { XDP_PASS } from './xdpAction';

/** The stub's return of an empty slot; libxdp always sets this bit in chain_call_actions. */
export const XDP_DISPATCHER_RETVAL = 31;
/** Slots of the dispatcher (libxdp refuses more programs: "Not enough free slots", E2BIG). */
export const MAX_DISPATCHER_ACTIONS = 10;

export interface DispatcherComponent {
  readonly prog: XdpProgramHandle;
  /** The scenario's name of the program. */
  readonly name: string;
  readonly priority: number;
  /** Bitmap of actions that continue the chain (without the XDP_DISPATCHER_RETVAL bit). */
  readonly chainCallActions: number;
  /** Verdicts it returned: index = action 0..4, 5 = any other value. */
  readonly returned: number[];
  /** Times its return ended the chain (the dispatcher's verdict). */
  decided: number;
  faults: number;
}

export interface ComponentSpec {
  prog: XdpProgramHandle;
  name: string;
  /** From the scenario, else the object's run config, else libxdp's defaults. */
  config: XdpRunConfig;
}

/**
 * libxdp's cmp_xdp_programs: priority (lower first), then the program (function) name, then the
 * instruction count; the prog tag and load time that follow are not modelled — scenario order
 * breaks a tie that survives those (a stable sort).
 */
export function orderComponents(specs: readonly ComponentSpec[]): ComponentSpec[] {
  const insns = (p: XdpProgramHandle): number => (p instanceof XdpProgram ? p.insns.length : 0);
  const byte = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0); // strcmp on ASCII names
  return [...specs].sort(
    (a, b) =>
      (a.config.priority !== b.config.priority ? (a.config.priority < b.config.priority ? -1 : 1) : 0) ||
      byte(a.prog.name, b.prog.name) ||
      insns(a.prog) - insns(b.prog),
  );
}

/** Action names of a chain-call bitmap ("XDP_PASS", …) in action order. */
export function chainActionNames(bitmap: number): string[] {
  return xdpActionNames.filter((_, a) => bitmap & (1 << a)).map((n) => `XDP_${n}`);
}

/**
 * Whether a component's return continues the chain. xdp-dispatcher.o as Debian's xdp-tools builds
 * it tests `(conf.chain_call_actions[i] >> (u32)ret) & 1` with a 64-bit shift (BPF masks the count
 * to 63): a return ≥ 32 never continues.
 */
function continues(ret: number, chainCallActions: number): boolean {
  const n = ret & 63;
  return n < 32 && (((chainCallActions | (1 << XDP_DISPATCHER_RETVAL)) >>> n) & 1) === 1;
}

export class XdpDispatcher implements XdpProgramHandle {
  readonly name = 'xdp_dispatcher';
  readonly section = 'xdp';
  readonly attach = 'xdp' as const;
  /** libxdp loads the dispatcher with frags only when every component supports them. */
  readonly frags: boolean;
  readonly components: DispatcherComponent[];
  /** Components that ran on the last run, and what each returned (for the timeline). */
  ran = 0;
  readonly lastReturns: number[];
  /** The component whose return was the last run's verdict; -1 when all continued (XDP_PASS). */
  decidedBy = -1;
  /** Frames on which every component continued: the dispatcher's own XDP_PASS. */
  passedThrough = 0;
  private fault: ProgramFault | undefined;

  constructor(
    readonly id: number,
    ordered: readonly ComponentSpec[],
  ) {
    this.components = ordered.map((s) => ({
      prog: s.prog,
      name: s.name,
      priority: s.config.priority,
      chainCallActions: s.config.chainCallActions & 0x1f,
      returned: [0, 0, 0, 0, 0, 0],
      decided: 0,
      faults: 0,
    }));
    this.lastReturns = ordered.map(() => 0);
    this.frags = ordered.every((s) => s.prog.frags);
  }

  /** One run of the chain on `buffer` (one packet: a component sees what earlier ones changed). */
  runAction(buffer: XdpBuffer, ctx: XdpRunContext): number {
    return this.runChain(buffer, ctx, undefined, undefined);
  }

  /**
   * The debugger's run (core/debug/recordedRun.ts): the same chain, each component run with `opts`
   * (its step hook and budget) and `enter(i)` called before component i starts.
   */
  runTraced(
    buffer: XdpBuffer,
    ctx: XdpRunContext,
    opts: RunOptions,
    enter: (component: number) => void,
  ): XdpRunResult {
    const action = this.runChain(buffer, ctx, opts, enter);
    const fault = this.takeFault();
    return fault ? { action: 0, insns: 0, fault } : { action, insns: 0 };
  }

  private runChain(
    buffer: XdpBuffer,
    ctx: XdpRunContext,
    opts: RunOptions | undefined,
    enter: ((component: number) => void) | undefined,
  ): number {
    const comps = this.components;
    for (let i = 0; i < comps.length; i++) {
      const c = comps[i] as DispatcherComponent;
      let ret: number;
      let fault: ProgramFault | undefined;
      if (enter) enter(i);
      if (c.prog instanceof XdpProgram && opts) {
        const r = c.prog.run(buffer, ctx, opts);
        ret = r.action >>> 0;
        fault = r.fault;
      } else if (c.prog instanceof XdpProgram) {
        ret = c.prog.runAction(buffer, ctx) >>> 0;
        fault = c.prog.takeFault();
      } else {
        const r = c.prog.run(buffer, ctx);
        ret = r.action >>> 0;
        fault = r.fault;
      }
      this.ran = i + 1;
      this.lastReturns[i] = ret;
      if (fault) {
        c.faults++;
        this.decidedBy = i;
        this.fault = { ...fault, message: `${c.name}: ${fault.message}` };
        return 0;
      }
      const slot = ret < 5 ? ret : 5;
      c.returned[slot] = (c.returned[slot] as number) + 1;
      if (!continues(ret, c.chainCallActions)) {
        c.decided++;
        this.decidedBy = i;
        return ret;
      }
    }
    this.decidedBy = -1;
    this.passedThrough++;
    return XDP_PASS;
  }

  /** The last run's components and returns, and the one that decided (a timeline step's part). */
  lastChain(): { chain: { program: string; action: number }[]; decidedBy?: string } {
    const chain: { program: string; action: number }[] = [];
    for (let i = 0; i < this.ran; i++)
      chain.push({
        program: (this.components[i] as DispatcherComponent).name,
        action: this.lastReturns[i] as number,
      });
    const by = this.decidedBy >= 0 ? this.components[this.decidedBy]?.name : undefined;
    return by !== undefined ? { chain, decidedBy: by } : { chain };
  }

  /** The fault of the last runAction (a component's, named), cleared by reading. */
  takeFault(): ProgramFault | undefined {
    const f = this.fault;
    this.fault = undefined;
    return f;
  }

  run(buffer: XdpBuffer, ctx: XdpRunContext): XdpRunResult {
    const action = this.runAction(buffer, ctx);
    const fault = this.takeFault();
    return fault ? { action: 0, insns: 0, fault } : { action, insns: 0 };
  }
}
