// XDP program checks: the section name libbpf must recognise, and the return value. XDP programs
// must return an enum xdp_action (0..4): the kernel treats anything else as XDP_ABORTED
// after a "bpf_warn_invalid_xdp_action" warning, so the frame is dropped as an error.
import { secByName } from '../../bpf/secNames';
import { maxXdpAction, xdpActionByValue } from '../../bpf/xdpActions';
import { evalConst } from '../constEval';
import type { RuleContext } from './ruleContext';

export function checkReturns(ctx: RuleContext): void {
  for (const prog of ctx.model.programs) {
    if (!prog.xdp) continue;
    const sec = prog.sec;
    if (sec && !secByName(sec.name)) {
      // libbpf 1.x: "failed to guess program type from ELF section" — the object does not load.
      const fix = sec.name.startsWith('xdp.frags') ? 'xdp.frags' : 'xdp';
      ctx.report(
        'legacy-sec-name',
        { start: sec.nameStart, end: sec.nameEnd },
        `libbpf 1.x (bpftool, skeletons) cannot guess the program type of SEC("${sec.name}") and refuses to load the object; loaders that set the type themselves (libxdp) still accept it. XDP programs go in SEC("xdp"), "xdp.frags", "xdp/devmap" or "xdp/cpumap".`,
        {
          fixes: [
            {
              title: `Use SEC("${fix}")`,
              edits: [{ range: ctx.range({ start: sec.nameStart, end: sec.nameEnd }), newText: fix }],
              preferred: true,
            },
          ],
        },
      );
    }
    for (const ret of prog.returns) {
      const expr = ret.namedChildren.find((c) => c && c.type !== 'comment');
      if (!expr) continue;
      const span = { start: expr.startIndex, end: expr.endIndex };
      // Built only for a return that is reported (most are not): nodeRange reads the node's end.
      const fixes = () =>
        ['XDP_DROP', 'XDP_PASS', 'XDP_ABORTED'].map((a, i) => ({
          title: `Return ${a}`,
          edits: [{ range: ctx.range(span), newText: a }],
          preferred: i === 0,
        }));
      if (expr.type === 'identifier' && expr.text.startsWith('TC_ACT_')) {
        const v = evalConst(expr, ctx.model.constants);
        const as = v !== undefined ? xdpActionByValue(Number(v))?.name : undefined;
        ctx.report(
          'return-not-action',
          span,
          `${expr.text} is a tc verdict, not an XDP action${as ? ` (in XDP its value means ${as})` : ''}.`,
          { fixes: fixes() },
        );
        continue;
      }
      const v = evalConst(expr, ctx.model.constants);
      if (v === undefined || (v >= 0n && v <= BigInt(maxXdpAction))) continue;
      ctx.report(
        'return-not-action',
        span,
        `XDP programs return XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX or XDP_REDIRECT (0..4); ${expr.text} (${String(v)}) is treated as XDP_ABORTED and the frame is dropped.`,
        { fixes: fixes() },
      );
    }
  }
}
