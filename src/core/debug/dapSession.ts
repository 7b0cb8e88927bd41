// The xdp-lab debug adapter (../shared/specs/debugger.md): DAP requests in, responses and events out,
// over a recorded run of the VM. Pure: the host turns launch arguments into bytes (prepare) and
// carries the messages (stdio framing in src/node/debug, an inline adapter in the extension).
import { xdpActionByValue } from '../bpf/xdpActions';
import { IFINDEX_MAP_ID } from '../xdp/redirectInfo';
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { CAPABILITIES } from './dapMessages';
import type {
  DapEvent,
  DapMessage,
  DapRequest,
  DapResponse,
  LaunchArguments,
  LaunchInput,
} from './dapMessages';
import { DebugTarget, insnAddress, LaunchError, parseInsnAddress } from './debugTarget';
import type { StepMemory } from './debugTarget';
import {
  bytesToBig,
  EvalError,
  evaluate,
  pointerText,
  registerKind,
  renderValue,
  truthy,
  variableValue,
} from './debugValues';
import type { DapVariable, FrameContext, Handles, TypedValue } from './debugValues';
import { disassembleInsn, insnBytes } from './disassemble';
import { DwarfTypes } from './dwarfTypes';
import { findLineBreakpoint, Stepper } from './stepper';
import type { Breakpoint } from './stepper';

/** What a session needs from its shell. */
export interface DapHost {
  /** Reads (and compiles) what the launch arguments name; throws an Error whose message is shown. */
  prepare(args: LaunchArguments): Promise<LaunchInput>;
  send(message: DapMessage): void;
}

const THREAD_ID = 1;
/** Variables references of the global scopes; locals and children get numbers above. */
const REF_REGISTERS_BASE = 1000;
const REF_PACKET = 1;
const REF_MAPS = 2;
const FIRST_DYNAMIC_REF = 100000;

class ReplyError extends Error {}

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
  private readonly lineBps = new Map<string, Breakpoint[]>();
  private instructionBps: Breakpoint[] = [];
  private nextBpId = 1;
  private handles = new Map<number, () => DapVariable[]>();
  private nextRef = FIRST_DYNAMIC_REF;
  private readonly handleApi: Handles = {
    add: (f) => {
      const r = this.nextRef++;
      this.handles.set(r, f);
      return r;
    },
  };

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
        return this.setBreakpoints(a);
      case 'breakpointLocations':
        return this.breakpointLocations(a);
      case 'setInstructionBreakpoints':
        return this.setInstructionBreakpoints(a);
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
        return this.scopes(Number(a.frameId ?? 0));
      case 'variables': {
        const ref = Number(a.variablesReference);
        return { variables: this.variables(ref) };
      }
      case 'evaluate':
        return this.evaluateRequest(a);
      case 'readMemory':
        return this.readMemoryRequest(a);
      case 'disassemble':
        return this.disassembleRequest(a);
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
    return [...[...this.lineBps.values()].flat(), ...this.instructionBps];
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
      this.resetHandles();
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
    this.resetHandles();
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

  private resetHandles(): void {
    this.handles = new Map();
    this.nextRef = FIRST_DYNAMIC_REF;
  }

  // ---- breakpoints -----------------------------------------------------------------------------

  private setBreakpoints(a: Record<string, unknown>): unknown {
    const t = this.need();
    const source = (a.source ?? {}) as { path?: string; name?: string };
    const path = source.path ?? source.name ?? '';
    const wanted = (Array.isArray(a.breakpoints) ? a.breakpoints : []) as {
      line: number;
      condition?: string;
      hitCondition?: string;
    }[];
    const bps: Breakpoint[] = [];
    const out = wanted.map((w) => {
      const found = findLineBreakpoint(t, path, Number(w.line));
      const id = this.nextBpId++;
      if (!found)
        return { id, verified: false, line: w.line, message: 'no code on or after this line in the program' };
      const bp: Breakpoint = {
        id,
        targets: found.targets,
        line: true,
        ...(w.condition ? { condition: w.condition } : {}),
        ...(w.hitCondition ? { hitCondition: w.hitCondition } : {}),
      };
      bps.push(bp);
      return {
        id,
        verified: true,
        line: found.line,
        source: { name: source.name ?? path.split('/').pop(), path },
      };
    });
    this.lineBps.set(path, bps);
    this.stepper?.invalidate();
    return { breakpoints: out };
  }

  private breakpointLocations(a: Record<string, unknown>): unknown {
    const t = this.need();
    const path = ((a.source ?? {}) as { path?: string }).path ?? '';
    const line = Number(a.line);
    const end = Number(a.endLine ?? line);
    const lines = new Set<number>();
    for (const p of t.programs)
      for (const l of t.info(p).linesOf(path)) if (l >= line && l <= end) lines.add(l);
    return { breakpoints: [...lines].sort((x, y) => x - y).map((l) => ({ line: l })) };
  }

  private setInstructionBreakpoints(a: Record<string, unknown>): unknown {
    const t = this.need();
    const wanted = (Array.isArray(a.breakpoints) ? a.breakpoints : []) as {
      instructionReference: string;
      offset?: number;
      condition?: string;
      hitCondition?: string;
    }[];
    this.instructionBps = [];
    const out = wanted.map((w) => {
      const id = this.nextBpId++;
      const at = parseInsnAddress(w.instructionReference, w.offset ?? 0);
      const prog = at ? t.programs[at.progIndex] : undefined;
      if (!at || !prog || at.pc >= prog.insns.length)
        return { id, verified: false, message: `no instruction at ${w.instructionReference}` };
      this.instructionBps.push({
        id,
        targets: [{ program: prog.name, pc: at.pc }],
        line: false,
        ...(w.condition ? { condition: w.condition } : {}),
        ...(w.hitCondition ? { hitCondition: w.hitCondition } : {}),
      });
      return { id, verified: true, instructionReference: insnAddress(at.progIndex, at.pc) };
    });
    this.stepper?.invalidate();
    return { breakpoints: out };
  }

  private conditionHolds(step: number, bp: Breakpoint): boolean {
    if (!bp.condition) return true;
    try {
      const cx = this.frameContext(step);
      return truthy(cx, evaluate(cx, this.localsScope(cx), bp.condition));
    } catch (e) {
      // A condition that cannot be evaluated stops (and says why), like other debuggers.
      this.event('output', {
        category: 'stderr',
        output: `breakpoint condition '${bp.condition}': ${(e as Error).message}\n`,
      });
      return true;
    }
  }

  // ---- frames and variables --------------------------------------------------------------------

  private frameSteps(): number[] {
    const t = this.need();
    if (t.run.length === 0) return [];
    return t.run.stack(Math.min(this.pos, t.run.length - 1));
  }

  /** The evaluator's view of the frame at `step` (registers of that step, memory of the current one). */
  private frameContext(step: number, memoryStep = step): FrameContext {
    const t = this.need();
    const run = t.run;
    const info = t.info(run.program(step));
    return {
      info,
      pc: run.pc(step),
      reg: (r) => run.reg(step, r),
      memory: t.memoryAt(memoryStep),
      types: this.types,
    };
  }

  private stackTrace(): unknown {
    const t = this.need();
    const run = t.run;
    const frames = this.frameSteps().map((s, f) => {
      const prog = run.program(s);
      const info = t.info(prog);
      const pc = run.pc(s);
      const line = info.lineOf(pc);
      const fn = info.functionName(pc);
      const tail =
        f + 1 < this.frameSteps().length &&
        run.depth(s) === run.depth(this.frameSteps()[f + 1] ?? 0) &&
        run.program(this.frameSteps()[f + 1] ?? 0) !== prog;
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

  private scopes(frameId: number): unknown {
    const steps = this.frameSteps();
    if (steps[frameId - 1] === undefined) throw new ReplyError(`no frame ${frameId}`);
    const localsRef = frameId; // 1..n: the locals of frame n
    return {
      scopes: [
        { name: 'Locals', presentationHint: 'locals', variablesReference: 10 + localsRef, expensive: false },
        {
          name: 'Registers',
          presentationHint: 'registers',
          variablesReference: REF_REGISTERS_BASE + frameId,
          expensive: false,
        },
        { name: 'Packet', variablesReference: REF_PACKET, expensive: false },
        { name: 'Maps', variablesReference: REF_MAPS, expensive: false },
      ],
    };
  }

  private localsScope(cx: FrameContext): { lookup(name: string): TypedValue | undefined } {
    return {
      lookup: (name) => {
        const v = cx.info.variablesAt(cx.pc).find((x) => x.name === name);
        return v ? variableValue(cx, v, cx.info.locationAt(v, cx.pc)) : undefined;
      },
    };
  }

  private variables(ref: number): DapVariable[] {
    const t = this.need();
    if (ref === REF_PACKET) return this.packetVariables();
    if (ref === REF_MAPS) return this.mapVariables();
    const steps = this.frameSteps();
    if (ref > REF_REGISTERS_BASE && ref < FIRST_DYNAMIC_REF) {
      const s = steps[ref - REF_REGISTERS_BASE - 1];
      if (s === undefined) return [];
      const mem = t.memoryAt(this.pos);
      return Array.from({ length: 11 }, (_, r) => {
        const v = t.run.reg(s, r);
        const kind = registerKind(v, mem);
        const p = kind === 'scalar' ? undefined : pointerText(v, mem);
        const signed = BigInt.asIntN(64, v);
        return {
          name: `r${r}`,
          value: p ?? `${signed} (0x${v.toString(16)})`,
          type: kind,
          variablesReference: 0,
          evaluateName: `r${r}`,
          ...(p ? { memoryReference: '0x' + v.toString(16) } : {}),
        };
      });
    }
    if (ref > 10 && ref < REF_REGISTERS_BASE) {
      const s = steps[ref - 11];
      if (s === undefined) return [];
      const cx = this.frameContext(s, this.pos);
      const vars = cx.info.variablesAt(cx.pc);
      if (!vars.length) {
        const why =
          t.debugInfo.dwarfProblem ??
          (cx.info.functionAt(cx.pc) ? 'no variables in scope' : 'no DWARF for this code');
        return [{ name: '(none)', value: why, variablesReference: 0 }];
      }
      return vars.map((v) =>
        renderValue(cx, v.name, variableValue(cx, v, cx.info.locationAt(v, cx.pc)), this.handleApi, v.name),
      );
    }
    const f = this.handles.get(ref);
    return f ? f() : [];
  }

  private packetVariables(): DapVariable[] {
    const mem = this.need().memoryAt(this.pos);
    const b = mem.buffer;
    const bytes = b.bytes.subarray(b.data, b.dataEnd);
    const rows: DapVariable[] = [
      { name: 'length', value: String(bytes.length), type: 'bytes', variablesReference: 0 },
      {
        name: 'bytes',
        value: hex(bytes.subarray(0, 64)) + (bytes.length > 64 ? ' …' : ''),
        type: `__u8[${bytes.length}]`,
        variablesReference: 0,
        memoryReference: 'pkt',
      },
    ];
    if (b.data !== b.dataMeta)
      rows.push({
        name: 'metadata',
        value: hex(b.bytes.subarray(b.dataMeta, b.data)),
        variablesReference: 0,
      });
    for (let o = 0; o < bytes.length; o += 16)
      rows.push({
        name: `pkt+${o}`,
        value: hex(bytes.subarray(o, o + 16)),
        variablesReference: 0,
        evaluateName: `pkt[${o}]`,
      });
    return rows;
  }

  private mapVariables(): DapVariable[] {
    const mem = this.need().memoryAt(this.pos);
    return mem.maps.map((m) => {
      let entries: { key: Uint8Array; value: Uint8Array; values?: Uint8Array[] }[] = [];
      try {
        entries = m.dump();
      } catch {
        entries = [];
      }
      return {
        name: m.name,
        value: `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`,
        type: `map type ${m.type}`,
        variablesReference: this.handleApi.add(() =>
          entries.slice(0, 512).map((e) => ({
            name: hex(e.key),
            value: e.values
              ? e.values.map(hex).join(' | ')
              : `${hex(e.value)}${e.value.length <= 8 ? ` (${bytesToBig(e.value)})` : ''}`,
            variablesReference: 0,
          })),
        ),
      };
    });
  }

  // ---- evaluate, memory, disassembly -----------------------------------------------------------

  private evaluateRequest(a: Record<string, unknown>): unknown {
    const expr = (typeof a.expression === 'string' ? a.expression : '').trim();
    const steps = this.frameSteps();
    const s = steps[Number(a.frameId ?? 1) - 1] ?? steps[0];
    if (s === undefined) throw new ReplyError('not stopped');
    const cx = this.frameContext(s, this.pos);
    try {
      const v = evaluate(cx, this.localsScope(cx), expr);
      if ('n' in v) {
        const signed = BigInt.asIntN(64, v.n);
        const p = pointerText(v.n, cx.memory);
        return {
          result:
            p && registerKind(v.n, cx.memory) !== 'scalar'
              ? p
              : `${signed} (0x${BigInt.asUintN(64, v.n).toString(16)})`,
          variablesReference: 0,
        };
      }
      const d = renderValue(cx, expr, v.tv, this.handleApi, expr);
      return {
        result: d.value,
        type: d.type,
        variablesReference: d.variablesReference,
        ...(d.memoryReference ? { memoryReference: d.memoryReference } : {}),
      };
    } catch (e) {
      if (e instanceof EvalError) throw new ReplyError(e.message);
      throw e;
    }
  }

  private readMemoryRequest(a: Record<string, unknown>): unknown {
    const mem = this.need().memoryAt(this.pos);
    const ref = typeof a.memoryReference === 'string' ? a.memoryReference : '';
    const offset = Number(a.offset ?? 0);
    const count = Math.max(0, Math.min(Number(a.count ?? 0), 1 << 20));
    let bytes: Uint8Array;
    let address: string;
    if (ref === 'pkt') {
      const b = mem.buffer;
      const start = Math.max(0, b.data + offset);
      bytes = b.bytes.subarray(start, Math.min(b.dataEnd, start + count));
      address = '0x' + (BigInt(11) * (1n << 32n) + BigInt(0x40000000 + b.data + offset)).toString(16);
    } else {
      let v: bigint;
      try {
        v = BigInt(ref) + BigInt(offset);
      } catch {
        throw new ReplyError(`readMemory: '${ref}' is not a memory reference`);
      }
      const region = mem.R[Number((v >> 32n) & 0xffffffffn)];
      const off = Number(v & 0xffffffffn) - 0x40000000;
      if (!region || region.kind === 'null' || off < region.lo || off >= region.hi) {
        return { address: '0x' + v.toString(16), unreadableBytes: count };
      }
      bytes = region.u8.subarray(off, Math.min(region.hi, off + count));
      address = '0x' + v.toString(16);
    }
    return {
      address,
      data: base64(bytes),
      ...(bytes.length < count ? { unreadableBytes: count - bytes.length } : {}),
    };
  }

  private disassembleRequest(a: Record<string, unknown>): unknown {
    const t = this.need();
    const start = parseInsnAddress(
      typeof a.memoryReference === 'string' ? a.memoryReference : '',
      Number(a.offset ?? 0),
    );
    const count = Math.max(0, Math.min(Number(a.instructionCount ?? 0), 10000));
    if (!start)
      throw new ReplyError(`disassemble: '${String(a.memoryReference)}' is not an instruction address`);
    const prog = t.programs[start.progIndex];
    if (!prog) throw new ReplyError(`disassemble: no program ${start.progIndex}`);
    const info = t.info(prog);
    const first = start.pc + Number(a.instructionOffset ?? 0);
    const insns = prog.insns;
    const out = [];
    let lastLine = -1;
    for (let k = 0; k < count; k++) {
      const pc = first + k;
      const address = insnAddress(start.progIndex, Math.max(0, pc));
      if (pc < 0 || pc >= insns.length) {
        out.push({ address: pc < 0 ? '0x0' : address, instruction: '', presentationHint: 'invalid' });
        continue;
      }
      const i = insns[pc] as Insn;
      const prev = insns[pc - 1];
      if (prev && I.isLdImm64(prev)) {
        out.push({ address, instructionBytes: insnBytes(i), instruction: '(second half of ld_imm64)' });
        continue;
      }
      const line = info.lineOf(pc);
      const fnStart = info.functionAt(pc);
      const isStart = fnStart ? info.pcOf(fnStart.section, fnStart.lo) === pc : pc === 0;
      const text = disassembleInsn(i, insns[pc + 1], () => this.symbolAt(prog.name, pc));
      out.push({
        address,
        instructionBytes: insnBytes(i),
        instruction: text,
        ...(isStart ? { symbol: info.functionName(pc) } : {}),
        ...(line && line.line !== lastLine
          ? {
              location: { name: line.path.split('/').pop(), path: line.path },
              line: line.line,
              column: line.column,
            }
          : {}),
      });
      if (line) lastLine = line.line;
    }
    return { instructions: out };
  }

  /** The symbol an ld_imm64 was relocated against (its map's name), from the object's relocations. */
  private symbolAt(progName: string, pc: number): string | undefined {
    const t = this.need();
    const prog = t.programs.find((p) => p.name === progName);
    if (!prog) return undefined;
    const o = t.info(prog).origin(pc);
    const elf = t.debugInfo.elf;
    const r = elf.relocationsFor(o.section).find((x) => x.offset === o.offset);
    const sym = r ? elf.symbols[r.sym] : undefined;
    return sym ? sym.name || elf.sections[sym.shndx]?.name : undefined;
  }

  /** The memory of the current stop (for tests and hovers). */
  currentMemory(): StepMemory {
    return this.need().memoryAt(this.pos);
  }
}

const NO_REPLY = Symbol('no reply');

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Base64 of bytes (core has no Buffer or btoa). */
export function base64(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = ((b[i] as number) << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] as string;
    out += B64[(n >> 12) & 63] as string;
    out += i + 1 < b.length ? (B64[(n >> 6) & 63] as string) : '=';
    out += i + 2 < b.length ? (B64[n & 63] as string) : '=';
  }
  return out;
}
