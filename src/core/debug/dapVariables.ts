// The data side of a debug session (DAP scopes, variables, evaluate): the Locals, Registers, Packet
// and Maps scopes of a stopped frame, and the variablesReference handles of expandable values,
// which, as the protocol allows, hold only until the next stop.
import type { DebugTarget } from './debugTarget';
import { bytesToBig, hexBytes, pointerText, registerKind, renderValue, variableValue } from './debugValues';
import type { DapVariable, FrameContext, Handles } from './debugValues';
import { EvalError, evaluate } from './debugExpression';
import type { Scope } from './debugExpression';
import { ReplyError } from './dapMessages';

/** Variables references of the global scopes; locals and children get numbers above. */
const REF_REGISTERS_BASE = 1000;
const REF_PACKET = 1;
const REF_MAPS = 2;
const FIRST_DYNAMIC_REF = 100000;

/** Where the session is stopped: its step, and the step of each stack frame (frame 1 first). */
export interface StopPoint {
  target: DebugTarget;
  pos: number;
  frames: number[];
}

/** The evaluator's view of the frame at `step` (registers of that step, memory of `memoryStep`). */
export function frameContext(t: DebugTarget, step: number, memoryStep = step): FrameContext {
  const run = t.run;
  const prog = run.program(step);
  return {
    info: t.info(prog),
    pc: run.pc(step),
    reg: (r) => run.reg(step, r),
    memory: t.memoryAt(memoryStep),
    // The C types of the step's own object (a chain's components come from several).
    types: t.typesOf(prog),
  };
}

/** The C variables in scope at the frame's pc, by name (for expressions and conditions). */
export function localsScope(cx: FrameContext): Scope {
  return {
    lookup: (name) => {
      const v = cx.info.variablesAt(cx.pc).find((x) => x.name === name);
      return v ? variableValue(cx, v, cx.info.locationAt(v, cx.pc)) : undefined;
    },
  };
}

/** The scopes of a stop and the handles of what they expand to. */
export class DapVariables {
  private handles = new Map<number, () => DapVariable[]>();
  private nextRef = FIRST_DYNAMIC_REF;
  private readonly handleApi: Handles = {
    add: (f) => {
      const r = this.nextRef++;
      this.handles.set(r, f);
      return r;
    },
  };

  /** Forgets the handles of the previous stop. */
  reset(): void {
    this.handles = new Map();
    this.nextRef = FIRST_DYNAMIC_REF;
  }

  scopes(frames: number[], frameId: number): unknown {
    if (frames[frameId - 1] === undefined) throw new ReplyError(`no frame ${frameId}`);
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

  variables(at: StopPoint, ref: number): DapVariable[] {
    const t = at.target;
    if (ref === REF_PACKET) return this.packetVariables(at);
    if (ref === REF_MAPS) return this.mapVariables(at);
    const steps = at.frames;
    if (ref > REF_REGISTERS_BASE && ref < FIRST_DYNAMIC_REF) {
      const s = steps[ref - REF_REGISTERS_BASE - 1];
      if (s === undefined) return [];
      const mem = t.memoryAt(at.pos);
      const verifier = t.verifierKinds(t.run.program(s));
      const pc = t.run.pc(s);
      return Array.from({ length: 11 }, (_, r) => {
        const v = t.run.reg(s, r);
        // The verifier's view where its walk reached this pc and its paths agree, else the VM's.
        const kind = verifier?.at(pc, r) ?? registerKind(v, mem);
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
      const cx = frameContext(t, s, at.pos);
      const vars = cx.info.variablesAt(cx.pc);
      if (!vars.length) {
        const why =
          t.objectOf(t.run.program(s)).debugInfo.dwarfProblem ??
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

  /** An expression in the frame `a.frameId` names (hovers, the watch and debug console). */
  evaluate(at: StopPoint, a: Record<string, unknown>): unknown {
    const expr = (typeof a.expression === 'string' ? a.expression : '').trim();
    const steps = at.frames;
    const s = steps[Number(a.frameId ?? 1) - 1] ?? steps[0];
    if (s === undefined) throw new ReplyError('not stopped');
    const cx = frameContext(at.target, s, at.pos);
    try {
      const v = evaluate(cx, localsScope(cx), expr);
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

  /** The packet between data and data_end at this stop, 16 bytes a row (`pkt` is its memory reference). */
  private packetVariables(at: StopPoint): DapVariable[] {
    const mem = at.target.memoryAt(at.pos);
    const b = mem.buffer;
    const bytes = b.bytes.subarray(b.data, b.dataEnd);
    const rows: DapVariable[] = [
      { name: 'length', value: String(bytes.length), type: 'bytes', variablesReference: 0 },
      {
        name: 'bytes',
        value: hexBytes(bytes.subarray(0, 64)) + (bytes.length > 64 ? ' …' : ''),
        type: `__u8[${bytes.length}]`,
        variablesReference: 0,
        memoryReference: 'pkt',
      },
    ];
    if (b.data !== b.dataMeta)
      rows.push({
        name: 'metadata',
        value: hexBytes(b.bytes.subarray(b.dataMeta, b.data)),
        variablesReference: 0,
      });
    for (let o = 0; o < bytes.length; o += 16)
      rows.push({
        name: `pkt+${o}`,
        value: hexBytes(bytes.subarray(o, o + 16)),
        variablesReference: 0,
        evaluateName: `pkt[${o}]`,
      });
    return rows;
  }

  /** Each map at this stop with its entry count; expanding one lists up to 512 entries as hex. */
  private mapVariables(at: StopPoint): DapVariable[] {
    const mem = at.target.memoryAt(at.pos);
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
            name: hexBytes(e.key),
            value: e.values
              ? e.values.map(hexBytes).join(' | ')
              : `${hexBytes(e.value)}${e.value.length <= 8 ? ` (${bytesToBig(e.value)})` : ''}`,
            variablesReference: 0,
          })),
        ),
      };
    });
  }
}
