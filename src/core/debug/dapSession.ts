// The xdp-lab debug adapter (../shared/specs/debugger.md): DAP requests in, responses and events out,
// over a recorded run of the VM. Pure: the host turns launch arguments into bytes (prepare) and
// carries the messages (stdio framing in src/node/debug, an inline adapter in the extension).
import { xdpActionByValue } from '../bpf/xdpActions';
import { IFINDEX_MAP_ID } from '../xdp/redirectInfo';
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
import type { StepMemory } from './debugTarget';
import { DwarfTypes } from './dwarfTypes';
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
  private types: DwarfTypes | undefined;
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
        this.types = this.target.debugInfo.dwarf ? new DwarfTypes(this.target.debugInfo.dwarf) : undefined;
        this.stepper = new Stepper(this.target, (step, bp) => this.conditionHolds(step, bp));
        this.stopOnEntry = input.stopOnEntry;
        const run = this.target.run;
        this.event('output', {
          category: 'console',
          output: `xdp-lab: ${this.target.program.name} on ${input.frameLabel} (${input.frame.length} bytes): ${run.length} instructions recorded${this.target.debugInfo.dwarfProblem ? `; no locals: ${this.target.debugInfo.dwarfProblem}` : ''}\n`,
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
        return { threads: [{ id: THREAD_ID, name: this.target?.program.name ?? 'xdp' }] };
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
    if (res.fault)
      lines.push(
        `${t.program.name}: fault at pc ${res.fault.pc}: ${res.fault.message} (the kernel's verifier would refuse this program)`,
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
      lines.push(
        `${t.program.name}: ${name}${where} (return value ${res.action}), ${res.insns} instructions`,
      );
    }
    for (const p of mem.printk) lines.push(`trace_printk: ${p}`);
    this.event('output', {
      category: 'console',
      output: lines.join('\n') + '\n',
      data: { action: res.action, fault: res.fault ?? null },
    });
    this.event('exited', { exitCode: res.fault ? 1 : res.action });
    this.event('terminated');
  }

  /** The stepper's question at a hit breakpoint: a condition's failure to evaluate goes to the console. */
  private conditionHolds(step: number, bp: Breakpoint): boolean {
    return conditionHolds(
      bp,
      () => frameContext(this.need(), this.types, step),
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
      return {
        id: f + 1,
        name: `${fn}${tail ? ' (tail call)' : ''}`,
        line: line?.line ?? 0,
        column: line ? Math.max(1, line.column) : 0,
        ...(line ? { source: { name: line.path.split('/').pop(), path: line.path } } : {}),
        instructionPointerReference: insnAddress(t.programIndex(prog.name), pc),
        ...(line ? {} : { presentationHint: 'subtle' }),
      };
    });
    return { stackFrames: frames, totalFrames: frames.length };
  }

  /** Where the session is stopped, for the Variables requests. */
  private stopPoint(): StopPoint {
    return { target: this.need(), types: this.types, pos: this.pos, frames: this.frameSteps() };
  }

  /** The memory of the current stop (for tests and hovers). */
  currentMemory(): StepMemory {
    return this.need().memoryAt(this.pos);
  }
}

const NO_REPLY = Symbol('no reply');
