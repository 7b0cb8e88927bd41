// The xdp-lab debug adapter (../shared/specs/debugger.md): DAP requests in, responses and events out,
// over a recorded run of the VM. Pure: the host turns launch arguments into bytes (prepare) and
// carries the messages (stdio framing in src/node/debug, an inline adapter in the extension).
import { xdpActionByValue } from '../bpf/xdpActions';
import { IFINDEX_MAP_ID } from '../xdp/redirectInfo';
import { chainActionNames } from '../xdp/xdpDispatcher';
import { breakpointLocations, conditionHolds, DapBreakpoints } from './dapBreakpoints';
import { disassembleRequest, readMemoryRequest } from './dapMemory';
import { CAPABILITIES, ReplyError } from './dapMessages';
import type {
  DapEvent,
  DapMessage,
  DapRequest,
  DapResponse,
  LaunchArguments,
  LaunchInput,
} from './dapMessages';
import { DapVariables, frameContext } from './dapVariables';
import type { StopPoint } from './dapVariables';
import { DebugTarget, insnAddress, LaunchError } from './debugTarget';
import type { ChainComponent, StepMemory } from './debugTarget';
import type { RunnableProgram } from '../vm/machine';
import { Stepper } from './stepper';
import type { Breakpoint } from './stepper';

/** What a session needs from its shell. */
export interface DapHost {
  /** Reads (and compiles) what the launch arguments name; throws an Error whose message is shown. */
  prepare(args: LaunchArguments): Promise<LaunchInput>;
  send(message: DapMessage): void;
}

const THREAD_ID = 1;

export class DapSession {
  private seq = 1;
  private target: DebugTarget | undefined;
  private stepper: Stepper | undefined;
  private pos = 0;
  /** True once the run has ended (terminated sent). */
  private ended = false;
  /** Shown the fault: the next resume ends the session. */
  private faultShown = false;
  private stopOnEntry = false;
  private readonly breakpoints = new DapBreakpoints(() => this.stepper?.invalidate());
  private readonly vars = new DapVariables();

  constructor(private readonly host: DapHost) {}

  private send(m: Omit<DapResponse, 'seq'> | Omit<DapEvent, 'seq'>): void {
    const msg: DapMessage = { ...m, seq: this.seq++ };
    this.host.send(msg);
  }
  private event(event: string, body?: unknown): void {
    this.send({ type: 'event', event, ...(body !== undefined ? { body } : {}) });
  }

  /** Handles one message from the client; never throws (errors become failed responses). */
  async handle(msg: unknown): Promise<void> {
    const req = msg as DapRequest;
    if (!req || typeof req !== 'object' || req.type !== 'request' || typeof req.command !== 'string') return;
    const respond = (success: boolean, body?: unknown, message?: string): void =>
      this.send({
        type: 'response',
        request_seq: req.seq,
        command: req.command,
        success,
        ...(body !== undefined ? { body } : {}),
        ...(message !== undefined ? { message } : {}),
      });
    try {
      const body = await this.dispatch(req.command, req.arguments ?? {}, respond);
      if (body !== NO_REPLY) respond(true, body);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      respond(false, { error: { id: 1, format: message, showUser: req.command === 'launch' } }, message);
    }
  }

  private async dispatch(
    command: string,
    a: Record<string, unknown>,
    respond: (ok: boolean, body?: unknown) => void,
  ): Promise<unknown> {
    switch (command) {
      case 'initialize':
        return CAPABILITIES;
      case 'launch': {
        const args = a as LaunchArguments;
        if (typeof args.program !== 'string' || !args.program)
          throw new ReplyError("launch: 'program' is missing (a .c file or a BPF object)");
        const input = await this.host.prepare(args);
        try {
          this.target = new DebugTarget(input);
        } catch (e) {
          if (e instanceof LaunchError) throw new ReplyError(e.message);
          throw e;
        }
        this.stepper = new Stepper(this.target, (step, bp) => this.conditionHolds(step, bp));
        this.stopOnEntry = input.stopOnEntry;
        const t = this.target;
        const noLocals = t.objects.map((o) => o.debugInfo.dwarfProblem).find((p) => p);
        const what = t.chain
          ? `libxdp dispatcher on ${input.chain?.device ?? 'its device'} (${t.chain.map((c) => componentName(c)).join(' → ')})`
          : t.program.name;
        this.event('output', {
          category: 'console',
          output: `xdp-lab: ${what} on ${input.frameLabel} (${input.frame.length} bytes): ${t.run.length} instructions recorded${t.coreBtfName ? `; CO-RE resolved against ${t.coreBtfName}` : ''}${noLocals ? `; no locals: ${noLocals}` : ''}\n`,
        });
        respond(true);
        this.event('initialized');
        return NO_REPLY;
      }
      case 'setBreakpoints':
        return this.breakpoints.setBreakpoints(this.need(), a);
      case 'breakpointLocations':
        return breakpointLocations(this.need(), a);
      case 'setInstructionBreakpoints':
        return this.breakpoints.setInstructionBreakpoints(this.need(), a);
      case 'setExceptionBreakpoints':
      case 'setFunctionBreakpoints':
        return { breakpoints: [] };
      case 'configurationDone': {
        respond(true);
        const t = this.need();
        if (this.stopOnEntry) this.stopAt(0, 'entry');
        else {
          const hit = this.stepper?.hitAt(0, this.allBps());
          if (hit) this.stopAt(0, 'breakpoint', [hit.id]);
          else this.resume(this.stepperNeed().continueFrom(0, this.allBps()));
        }
        void t;
        return NO_REPLY;
      }
      case 'threads':
        return {
          threads: [
            {
              id: THREAD_ID,
              name: this.target?.chain ? 'xdp_dispatcher' : (this.target?.program.name ?? 'xdp'),
            },
          ],
        };
      case 'continue':
        respond(true, { allThreadsContinued: true });
        this.resume(this.stepperNeed().continueFrom(this.pos, this.allBps()));
        return NO_REPLY;
      case 'next':
      case 'stepIn':
      case 'stepOut': {
        respond(true);
        const s = this.stepperNeed();
        const instr = a.granularity === 'instruction';
        const r =
          command === 'next'
            ? s.next(this.pos, this.allBps(), instr)
            : command === 'stepIn'
              ? s.stepIn(this.pos, this.allBps(), instr)
              : s.stepOut(this.pos, this.allBps());
        this.resume(r);
        return NO_REPLY;
      }
      case 'stepBack':
        respond(true);
        this.resume(this.stepperNeed().stepBack(this.pos, a.granularity === 'instruction'));
        return NO_REPLY;
      case 'reverseContinue':
        respond(true);
        this.resume(this.stepperNeed().reverseContinue(this.pos, this.allBps()));
        return NO_REPLY;
      case 'pause':
        return undefined;
      case 'stackTrace':
        return this.stackTrace();
      case 'scopes':
        return this.vars.scopes(this.frameSteps(), Number(a.frameId ?? 0));
      case 'variables': {
        const ref = Number(a.variablesReference);
        return { variables: this.vars.variables(this.stopPoint(), ref) };
      }
      case 'evaluate':
        return this.vars.evaluate(this.stopPoint(), a);
      case 'readMemory':
        return readMemoryRequest(this.currentMemory(), a);
      case 'disassemble':
        return disassembleRequest(this.need(), a);
      case 'exceptionInfo': {
        const f = this.target?.run.result.fault;
        return {
          exceptionId: 'fault',
          description: f?.message ?? 'no fault',
          breakMode: 'always',
          details: { message: f?.message ?? '', stackTrace: f?.line ?? '' },
        };
      }
      case 'source':
        throw new ReplyError('source: the C file is read from disk (no generated sources)');
      case 'terminate':
      case 'disconnect':
        respond(true);
        if (!this.ended) {
          this.ended = true;
          if (command === 'terminate') this.event('terminated');
        }
        return NO_REPLY;
      default:
        throw new ReplyError(`unsupported request '${command}'`);
    }
  }

  private need(): DebugTarget {
    if (!this.target) throw new ReplyError('no program is loaded (launch first)');
    return this.target;
  }
  private stepperNeed(): Stepper {
    if (!this.stepper) throw new ReplyError('no program is loaded (launch first)');
    return this.stepper;
  }
  private allBps(): Breakpoint[] {
    return this.breakpoints.all();
  }
  // ---- run control -----------------------------------------------------------------------------

  private resume(r: { step: number; reason: string; bps?: number[] } | 'end'): void {
    const t = this.need();
    if (r !== 'end') {
      this.stopAt(r.step, r.reason, r.bps);
      return;
    }
    const run = t.run;
    if (run.result.fault && !this.faultShown && run.length > 0) {
      this.faultShown = true;
      this.pos = run.length - 1;
      this.vars.reset();
      this.event('output', {
        category: 'stderr',
        output: `fault at pc ${run.result.fault.pc}${run.result.fault.line ? ` (${run.result.fault.line})` : ''}: ${run.result.fault.message}\n`,
      });
      this.event('stopped', {
        reason: 'exception',
        description: 'Paused on a fault',
        text: run.result.fault.message,
        threadId: THREAD_ID,
        allThreadsStopped: true,
      });
      return;
    }
    this.finish();
  }

  private stopAt(step: number, reason: string, bps?: number[]): void {
    this.pos = step;
    this.vars.reset();
    this.event('stopped', {
      reason,
      threadId: THREAD_ID,
      allThreadsStopped: true,
      ...(bps?.length ? { hitBreakpointIds: bps } : {}),
    });
  }

  private finish(): void {
    if (this.ended) return;
    const t = this.need();
    this.ended = true;
    const res = t.run.result;
    const mem = t.endMemory;
    const lines: string[] = [];
    const who = t.chain ? 'xdp_dispatcher' : t.program.name;
    const insns = t.chain ? t.run.length : res.insns;
    if (res.fault)
      lines.push(
        `${who}: fault at pc ${res.fault.pc}: ${res.fault.message} (the kernel's verifier would refuse this program)`,
      );
    else {
      const name = xdpActionByValue(res.action)?.name ?? `invalid action ${res.action}`;
      let where = '';
      if (res.action === 4) {
        const r = mem.redirect;
        if (r.mapId === IFINDEX_MAP_ID) where = ` to ifindex ${r.tgtIndex}`;
        else if (r.mapId) {
          const map = mem.maps.find((m) => m.id === r.mapId);
          where = ` to ${map ? `map '${map.name}'` : `map id ${r.mapId}`} key ${r.tgtIndex}`;
        } else where = ' (no target: bpf_redirect* was not called; the kernel drops it)';
      }
      lines.push(`${who}: ${name}${where} (return value ${res.action}), ${insns} instructions`);
    }
    const chain = chainReport(t);
    if (chain) lines.push(...chain.lines);
    for (const p of mem.printk) lines.push(`trace_printk: ${p}`);
    this.event('output', {
      category: 'console',
      output: lines.join('\n') + '\n',
      data: {
        action: res.action,
        fault: res.fault ?? null,
        ...(chain ? { chain: chain.chain, decidedBy: chain.decidedBy } : {}),
      },
    });
    this.event('exited', { exitCode: res.fault ? 1 : res.action });
    this.event('terminated');
  }

  /** The stepper's question at a hit breakpoint: a condition's failure to evaluate goes to the console. */
  private conditionHolds(step: number, bp: Breakpoint): boolean {
    return conditionHolds(
      bp,
      () => frameContext(this.need(), step),
      (output) => this.event('output', { category: 'stderr', output }),
    );
  }

  // ---- frames ----------------------------------------------------------------------------------

  private frameSteps(): number[] {
    const t = this.need();
    if (t.run.length === 0) return [];
    return t.run.stack(Math.min(this.pos, t.run.length - 1));
  }

  private stackTrace(): unknown {
    const t = this.need();
    const run = t.run;
    const steps = this.frameSteps();
    const frames = steps.map((s, f) => {
      const prog = run.program(s);
      const info = t.info(prog);
      const pc = run.pc(s);
      const line = info.lineOf(pc);
      const fn = info.functionName(pc);
      const tail =
        f + 1 < steps.length &&
        run.depth(s) === run.depth(steps[f + 1] ?? 0) &&
        run.program(steps[f + 1] ?? 0) !== prog;
      // A chain component's outermost frame is the dispatcher's call of it: "prio 10 · xdp_count".
      const comp = f === steps.length - 1 ? t.componentAt(s) : undefined;
      return {
        id: f + 1,
        name: comp ? componentName(comp) : `${fn}${tail ? ' (tail call)' : ''}`,
        line: line?.line ?? 0,
        column: line ? Math.max(1, line.column) : 0,
        ...(line ? { source: { name: line.path.split('/').pop(), path: line.path } } : {}),
        instructionPointerReference: insnAddress(t.programIndex(prog), pc),
        ...(line ? {} : { presentationHint: 'subtle' }),
      };
    });
    return { stackFrames: frames, totalFrames: frames.length };
  }

  /** Where the session is stopped, for the Variables requests. */
  private stopPoint(): StopPoint {
    return { target: this.need(), pos: this.pos, frames: this.frameSteps() };
  }

  /**
   * The work a host runs when the client has gone quiet (node/debug/idleWork.ts: no request for a
   * moment after the last answer): the verifier walk of one program whose Registers kinds are not
   * known yet — the current stop's frames first, then the program (every component of a chain) under
   * debug — so the first Registers request answers from the cache instead of paying the walk
   * (55–123 ms, bench/debugger.bench.ts). One walk per call: a request arriving meanwhile waits for
   * one walk at most (the walk is synchronous). Returns whether another walk is left.
   */
  idle(): boolean {
    const todo = this.kindsToWalk();
    const next = todo[0];
    if (!next || !this.target) return false;
    this.target.verifierKinds(next);
    return todo.length > 1;
  }

  /** The programs whose verifier kinds a Registers request could need and no walk has made yet. */
  private kindsToWalk(): RunnableProgram[] {
    const t = this.target;
    if (!t || this.ended) return [];
    const atStop = t.run.length ? this.frameSteps().map((s) => t.run.program(s)) : [];
    const debugged = t.chain ? t.chain.map((c) => c.program) : [t.program];
    return [...atStop, ...debugged].filter(
      (p, i, all) =>
        !t.hasVerifierKinds(p) &&
        all.findIndex((q) => q.name === p.name && t.objectOf(q) === t.objectOf(p)) === i,
    );
  }

  /** The memory of the current stop (for tests and hovers). */
  currentMemory(): StepMemory {
    return this.need().memoryAt(this.pos);
  }
}

const NO_REPLY = Symbol('no reply');

/** A chain component as stack frames and the console name it: `prio 10 · xdp_count`, the scenario's name if it differs. */
function componentName(c: ChainComponent): string {
  return `prio ${c.priority} · ${c.program.name}${c.name !== c.program.name ? ` (${c.name})` : ''}`;
}

/**
 * What each component of a chain returned and which one decided the verdict (the simulator's
 * per-program counts, xdp/dispatcherSetup.ts dispatcherCounts, for this one frame).
 */
function chainReport(
  t: DebugTarget,
): { lines: string[]; chain: { program: string; action: number }[]; decidedBy: string | null } | undefined {
  const comps = t.chain;
  const d = t.dispatcher;
  if (!comps || !d) return undefined;
  const last = d.lastChain();
  const fault = t.run.result.fault;
  const lines = comps.map((c, i) => {
    const ran = last.chain[i];
    const head = `  ${i + 1}. ${componentName(c)}`;
    if (!ran) return `${head}: not run (the chain ended before it)`;
    if (fault && i === last.chain.length - 1)
      return `${head}: faulted, the dispatcher's verdict is XDP_ABORTED`;
    const action = xdpActionByValue(ran.action)?.name ?? `invalid action ${ran.action}`;
    const cont = chainActionNames(c.chainCallActions);
    return last.decidedBy === c.name && i === last.chain.length - 1
      ? `${head}: ${action} — the verdict (chains on ${cont.join(', ') || 'nothing'})`
      : `${head}: ${action} — continues the chain`;
  });
  const decided = last.decidedBy !== undefined ? comps.find((c) => c.name === last.decidedBy) : undefined;
  lines.unshift(
    decided
      ? `decided by ${componentName(decided)}, component ${comps.indexOf(decided) + 1} of ${comps.length}:`
      : `every component continued the chain: the dispatcher's own XDP_PASS:`,
  );
  return { lines, chain: last.chain, decidedBy: last.decidedBy ?? null };
}
