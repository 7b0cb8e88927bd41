// Packet access that no data_end bounds check precedes, and xdp.frags programs that treat the linear
// part as the whole frame. The verifier rejects the first ("invalid access to packet"); the second
// silently misses bytes that live in fragments (../shared/notes/redirect-semantics.md §5).
//
// The check is deliberately lenient so correct programs never get a false positive: once a comparison
// against data_end mentions any pointer into the packet (or a pointer is passed to a function together
// with data_end, or the context to a function of the file that compares against data_end), every
// pointer into that packet counts as checked, and pointers derived later inherit that. The metadata
// area (ctx->data_meta) is its own tree, checked by a comparison against a packet pointer (the
// kernel's find_good_pkt_pointers() for PTR_TO_PACKET_META vs PTR_TO_PACKET). What remains is the
// classic bug: reading headers before any check on that path.
import type { SyntaxNode } from '../syntaxTree';
import { evalConst } from '../constEval';
import type { FunctionInfo } from '../fileModel';
import type { RuleContext } from './ruleContext';

/** Longest linear part veth (and most drivers with 4 KiB pages) give a frags program (§5). */
const LINEAR_MAX = 3520;

interface PacketVar {
  readonly name: string;
  readonly parent?: PacketVar;
  checked: boolean;
  reported: boolean;
  readonly children: PacketVar[];
}

class PacketScan {
  readonly vars = new Map<string, PacketVar>();
  readonly endVars = new Set<string>();
  /** The pseudo-variable for ctx->data itself. */
  readonly data: PacketVar = { name: 'ctx->data', checked: false, reported: true, children: [] };
  /** The pseudo-variable for ctx->data_meta: the metadata area in front of data. */
  readonly meta: PacketVar = { name: 'ctx->data_meta', checked: false, reported: true, children: [] };

  constructor(readonly ctxName: string) {}

  // Reads of a SyntaxNode are array loads (syntaxTree.ts): the per-node caches of type and text that
  // saved WASM crossings here cost more than they save now.
  typeOf(n: SyntaxNode): string {
    return n.type;
  }

  textOf(n: SyntaxNode | null | undefined): string | undefined {
    return n?.text;
  }

  isCtxField(n: SyntaxNode | null | undefined, fields: readonly string[]): boolean {
    return (
      !!n &&
      this.typeOf(n) === 'field_expression' &&
      this.textOf(n.childForFieldName('argument')) === this.ctxName &&
      fields.includes(this.textOf(n.childForFieldName('field')) ?? '')
    );
  }

  /** The packet pointer an expression is (or points into), following casts, +/- and &x->f. */
  pointerRoot(n: SyntaxNode | null | undefined): PacketVar | undefined {
    if (!n) return undefined;
    switch (this.typeOf(n)) {
      case 'identifier':
        return this.vars.get(this.textOf(n) ?? '');
      case 'parenthesized_expression':
        return this.pointerRoot(n.namedChildren[0]);
      case 'cast_expression':
        return this.pointerRoot(n.childForFieldName('value'));
      case 'field_expression':
        return this.isCtxField(n, ['data'])
          ? this.data
          : this.isCtxField(n, ['data_meta'])
            ? this.meta
            : undefined;
      case 'binary_expression': {
        const op = this.textOf(n.childForFieldName('operator'));
        if (op !== '+' && op !== '-') return undefined;
        return (
          this.pointerRoot(n.childForFieldName('left')) ??
          (op === '+' ? this.pointerRoot(n.childForFieldName('right')) : undefined)
        );
      }
      case 'pointer_expression': {
        if (this.textOf(n.childForFieldName('operator')) !== '&') return undefined;
        const a = n.childForFieldName('argument');
        const at = a ? this.typeOf(a) : undefined;
        if (a && (at === 'field_expression' || at === 'subscript_expression'))
          return this.pointerRoot(a.childForFieldName('argument'));
        return undefined;
      }
      default:
        return undefined;
    }
  }

  mentionsEnd(n: SyntaxNode | null | undefined): boolean {
    if (!n) return false;
    if (this.typeOf(n) === 'identifier') return this.endVars.has(this.textOf(n) ?? '');
    if (this.isCtxField(n, ['data_end'])) return true;
    return n.namedChildren.some((c) => this.mentionsEnd(c));
  }

  isEnd(n: SyntaxNode | null | undefined): boolean {
    if (!n) return false;
    const t = this.typeOf(n);
    if (t === 'identifier') return this.endVars.has(this.textOf(n) ?? '');
    if (t === 'parenthesized_expression') return this.isEnd(n.namedChildren[0]);
    if (t === 'cast_expression') return this.isEnd(n.childForFieldName('value'));
    return this.isCtxField(n, ['data_end']);
  }

  /** Every packet variable named anywhere inside n. */
  packetVarsIn(n: SyntaxNode, out: PacketVar[] = []): PacketVar[] {
    if (this.typeOf(n) === 'identifier') {
      const v = this.vars.get(this.textOf(n) ?? '');
      if (v) out.push(v);
    } else if (this.isCtxField(n, ['data'])) out.push(this.data);
    else if (this.isCtxField(n, ['data_meta'])) out.push(this.meta);
    else for (const c of n.namedChildren) if (c) this.packetVarsIn(c, out);
    return out;
  }

  /** data or data_meta: the tree v belongs to. */
  rootOf(v: PacketVar): PacketVar {
    let root = v;
    while (root.parent) root = root.parent;
    return root;
  }

  /** A check covers every pointer that exists into the same packet (lenient by design, see top). */
  markChecked(v: PacketVar): void {
    const root = this.rootOf(v);
    const down = (x: PacketVar): void => {
      x.checked = true;
      x.children.forEach(down);
    };
    down(root);
  }

  assign(name: string, rhs: SyntaxNode | null | undefined): void {
    if (!rhs) return;
    if (this.isEnd(rhs)) {
      this.endVars.add(name);
      this.vars.delete(name);
      return;
    }
    const parent = this.pointerRoot(rhs);
    if (!parent) {
      this.vars.delete(name);
      return;
    }
    const v: PacketVar = { name, parent, checked: parent.checked, reported: false, children: [] };
    parent.children.push(v);
    this.vars.set(name, v);
  }
}

const comparisons = new Set(['<', '<=', '>', '>=']);

/**
 * Functions of the file that bound the packet from the context they receive: their body reads
 * data_end, or calls such a function (inlined or not, the kernel sees the same comparison).
 */
function boundsCheckers(ctx: RuleContext): Set<string> {
  const fns = ctx.model.functions.filter((f) => !f.sec);
  const out = new Set(fns.filter((f) => f.node.text.includes('data_end')).map((f) => f.name));
  for (let changed = true; changed;) {
    changed = false;
    for (const callee of [...out])
      for (const site of ctx.model.localCalls.get(callee) ?? []) {
        const caller = fns.find((f) => f.name === site.from);
        if (caller && !out.has(caller.name)) {
          out.add(caller.name);
          changed = true;
        }
      }
  }
  return out;
}

function scanFunction(ctx: RuleContext, fn: FunctionInfo, checkers: ReadonlySet<string>): void {
  if (!fn.ctxParam) return;
  const body = fn.node.childForFieldName('body');
  // Only functions that take packet pointers from their context can read the packet directly.
  if (!body || !ctx.model.text.slice(body.startIndex, body.endIndex).includes('data')) return;
  const scan = new PacketScan(fn.ctxParam);
  // The nodes come in document order (pre-order). Effects that C evaluates after a node's operands —
  // an assignment, a comparison marking pointers checked — wait in `pending` until the scan passes
  // the node's end, so every access sees exactly the state of the code before it.
  const pending: { end: number; apply: () => void }[] = [];
  let skipUntil = -1;
  /** Field and subscript expressions under `&` (by node id): addresses taken, not accesses. */
  const addressOf = new Set<number>();
  const report = (v: PacketVar | undefined, at: SyntaxNode): void => {
    if (!v || v.checked || v.reported || v === scan.data || v === scan.meta) return;
    v.reported = true;
    const msg =
      scan.rootOf(v) === scan.meta
        ? `${at.text} reads the metadata area through ${v.name} before any check against data on this path: the verifier rejects it ("invalid access to packet"). Compare first, e.g. if ((void *)(${v.name} + 1) > data) return XDP_ABORTED;`
        : `${at.text} reads the packet through ${v.name} before any check against data_end on this path: the verifier rejects it ("invalid access to packet"). Compare first, e.g. if ((void *)(${v.name} + 1) > data_end) return XDP_DROP;`;
    ctx.report('unchecked-packet-access', { start: at.startIndex, end: at.endIndex }, msg);
  };
  const flush = (upTo: number): void => {
    pending.sort((a, b) => a.end - b.end);
    while (pending.length && (pending[0]?.end ?? Infinity) <= upTo) pending.shift()?.apply();
  };
  // The node types the scan looks at (fileModel's bodyNodeTypes); everything else only matters through these.
  for (const n of fn.bodyNodes) {
    flush(n.startIndex);
    if (n.startIndex < skipUntil) continue;
    switch (scan.typeOf(n)) {
      case 'sizeof_expression':
        skipUntil = n.endIndex;
        break;
      case 'init_declarator': {
        const value = n.childForFieldName('value');
        let d: SyntaxNode | null = n.childForFieldName('declarator');
        while (d && scan.typeOf(d) !== 'identifier') d = d.childForFieldName('declarator');
        const name = scan.textOf(d);
        if (name) pending.push({ end: n.endIndex, apply: () => scan.assign(name, value) });
        break;
      }
      case 'assignment_expression': {
        const left = n.childForFieldName('left');
        const name = left && scan.typeOf(left) === 'identifier' ? scan.textOf(left) : undefined;
        if (name && scan.textOf(n.childForFieldName('operator')) === '=') {
          const right = n.childForFieldName('right');
          pending.push({ end: n.endIndex, apply: () => scan.assign(name, right) });
        }
        break;
      }
      case 'binary_expression': {
        if (!comparisons.has(scan.textOf(n.childForFieldName('operator')) ?? '')) break;
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        pending.push({
          end: n.endIndex,
          apply: () => {
            const side = scan.mentionsEnd(l) ? r : scan.mentionsEnd(r) ? l : undefined;
            // data_end bounds the packet only; the metadata area is bounded by data.
            if (side) {
              for (const v of scan.packetVarsIn(side)) if (scan.rootOf(v) !== scan.meta) scan.markChecked(v);
            } else {
              // meta + n > data: a metadata pointer checked against the packet's start.
              const lv = l ? scan.packetVarsIn(l).map((v) => scan.rootOf(v)) : [];
              const rv = r ? scan.packetVarsIn(r).map((v) => scan.rootOf(v)) : [];
              if (lv.includes(scan.meta) && rv.includes(scan.data)) scan.markChecked(scan.meta);
              if (rv.includes(scan.meta) && lv.includes(scan.data)) scan.markChecked(scan.meta);
            }
          },
        });
        break;
      }
      case 'call_expression': {
        // A helper of the file that receives data_end does the bounds check for its caller; so
        // does one that receives the context and compares against data_end itself.
        const args = n.childForFieldName('arguments');
        const callee = scan.textOf(n.childForFieldName('function')) ?? '';
        pending.push({
          end: n.endIndex,
          apply: () => {
            if (args && scan.mentionsEnd(args)) for (const v of scan.packetVarsIn(args)) scan.markChecked(v);
            else if (
              checkers.has(callee) &&
              args?.namedChildren.some(
                (a) => !!a && scan.typeOf(a) === 'identifier' && scan.textOf(a) === scan.ctxName,
              )
            )
              scan.markChecked(scan.data);
          },
        });
        break;
      }
      case 'pointer_expression': {
        const arg = n.childForFieldName('argument');
        if (scan.textOf(n.childForFieldName('operator')) === '&') {
          // &eth->h_dest takes an address; the field expression inside is not an access.
          const at = arg && scan.typeOf(arg);
          if (arg && (at === 'field_expression' || at === 'subscript_expression')) addressOf.add(arg.id);
        } else report(scan.pointerRoot(arg), n);
        break;
      }
      case 'field_expression':
        if (addressOf.has(n.id)) break;
        if (scan.textOf(n.childForFieldName('operator')) === '->' || scan.textOf(n.child(1)) === '->')
          report(scan.pointerRoot(n.childForFieldName('argument')), n);
        break;
      case 'subscript_expression':
        if (addressOf.has(n.id)) break;
        report(scan.pointerRoot(n.childForFieldName('argument')), n);
        break;
    }
  }
}

function scanFrags(ctx: RuleContext, fn: FunctionInfo): void {
  if (!fn.xdp?.frags || !fn.ctxParam) return;
  const loadsBytes = ctx.model.calls.some((c) => c.inFunction === fn.name && c.name === 'bpf_xdp_load_bytes');
  const scan = new PacketScan(fn.ctxParam);
  // Only the names matter here: which identifiers hold data_end and packet pointers.
  for (const d of fn.bodyNodes) {
    if (d.type !== 'init_declarator' && d.type !== 'assignment_expression') continue;
    const value = d.childForFieldName(d.type === 'init_declarator' ? 'value' : 'right');
    let name: SyntaxNode | null = d.childForFieldName(d.type === 'init_declarator' ? 'declarator' : 'left');
    while (name && name.type !== 'identifier') name = name.childForFieldName('declarator');
    if (name) scan.assign(name.text, value);
  }
  for (const b of fn.bodyNodes) {
    if (b.type !== 'binary_expression') continue;
    const op = b.childForFieldName('operator')?.text ?? '';
    const l = b.childForFieldName('left');
    const r = b.childForFieldName('right');
    if (op === '-' && scan.isEnd(l) && scan.pointerRoot(r)) {
      ctx.report(
        'frags-linear-access',
        { start: b.startIndex, end: b.endIndex },
        `In an ${fn.xdp.name} program ${b.text} is only the linear part of a multi-buffer frame; bpf_xdp_get_buff_len(${fn.ctxParam}) gives the whole length.`,
        {
          fixes: [
            {
              title: `Use bpf_xdp_get_buff_len(${fn.ctxParam})`,
              edits: [{ range: ctx.nodeRange(b), newText: `bpf_xdp_get_buff_len(${fn.ctxParam})` }],
            },
          ],
        },
      );
    }
    if (!loadsBytes && comparisons.has(op)) {
      const side = scan.isEnd(l) ? r : scan.isEnd(r) ? l : undefined;
      if (
        side?.type === 'binary_expression' &&
        side.childForFieldName('operator')?.text === '+' &&
        scan.pointerRoot(side.childForFieldName('left'))
      ) {
        const off = evalConst(side.childForFieldName('right'), ctx.model.constants);
        if (off !== undefined && off > BigInt(LINEAR_MAX)) {
          ctx.report(
            'frags-linear-access',
            { start: b.startIndex, end: b.endIndex },
            `Offset ${String(off)} is beyond the linear part of a multi-buffer frame (at most ${LINEAR_MAX} bytes on veth with 4 KiB pages): this check fails for such frames. Read the bytes with bpf_xdp_load_bytes().`,
          );
        }
      }
    }
  }
}

export function checkPacketAccess(ctx: RuleContext): void {
  const checkers = boundsCheckers(ctx);
  for (const fn of ctx.model.functions) {
    if (!fn.sec) continue;
    scanFunction(ctx, fn, checkers);
    scanFrags(ctx, fn);
  }
}
