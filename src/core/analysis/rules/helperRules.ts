// Helpers an XDP program may not call (the verifier's xdp_func_proto: "unknown func bpf_…"), and
// GPL-only helpers without a GPL-compatible license section ("cannot call GPL-restricted function").
import type { RuleContext } from './ruleContext';

/** License strings the kernel treats as GPL-compatible (include/linux/license.h). */
const gplCompatible = new Set([
  'GPL',
  'GPL v2',
  'GPL and additional rights',
  'Dual BSD/GPL',
  'Dual MIT/GPL',
  'Dual MPL/GPL',
]);

export function checkHelpers(ctx: RuleContext): void {
  const local = new Set(ctx.model.functions.map((f) => f.name));
  for (const call of ctx.model.calls) {
    const h = call.helper;
    if (!h || local.has(call.name) || !call.inFunction || !ctx.xdpReachable.has(call.inFunction)) continue;
    if (!h.xdp) {
      const alt = call.name.startsWith('bpf_skb_load_bytes')
        ? ' Read packet bytes with direct access or bpf_xdp_load_bytes.'
        : call.name.startsWith('bpf_skb_store_bytes')
          ? ' Write with direct access or bpf_xdp_store_bytes.'
          : '';
      ctx.report(
        'helper-not-in-xdp',
        call.nameSpan,
        `${call.name} is not available to XDP programs (it is for ${h.programKinds.join(', ')} programs): the verifier rejects the program with "unknown func".${alt}`,
      );
    }
  }
  if (!ctx.model.programs.length) return;
  // Only calls XDP programs reach: the GPL-only flags of XDP helpers are the ones checked against the
  // kernel (test/kernel/helperAvailability.test.ts), so this error never rests on an unverified fact.
  const gplCalls = ctx.model.calls.filter(
    (c) =>
      c.helper?.gplOnly &&
      c.helper.xdp &&
      !local.has(c.name) &&
      c.inFunction !== undefined &&
      ctx.xdpReachable.has(c.inFunction),
  );
  const first = gplCalls[0];
  if (!first) return;
  const names = [...new Set(gplCalls.map((c) => c.name))].join(', ');
  const lic = ctx.model.license;
  const end = ctx.model.lines.position(ctx.model.text.length);
  if (!lic) {
    const nl = ctx.model.text.endsWith('\n') || ctx.model.text === '' ? '' : '\n';
    ctx.report(
      'missing-license',
      first.nameSpan,
      `${names} ${gplCalls.length > 1 ? 'are' : 'is'} GPL-only, and this file has no license section: the kernel refuses to load the program.`,
      {
        fixes: [
          {
            title: 'Add char LICENSE[] SEC("license") = "GPL";',
            edits: [
              { range: { start: end, end }, newText: `${nl}\nchar LICENSE[] SEC("license") = "GPL";\n` },
            ],
            preferred: true,
          },
        ],
      },
    );
  } else if (!gplCompatible.has(lic.value)) {
    ctx.report(
      'missing-license',
      lic.span,
      `License "${lic.value}" is not GPL-compatible, but ${names} ${gplCalls.length > 1 ? 'are' : 'is'} GPL-only: the kernel refuses to load the program.`,
      {
        fixes: [
          { title: 'Use "GPL"', edits: [{ range: ctx.range(lic.span), newText: '"GPL"' }], preferred: true },
          { title: 'Use "Dual BSD/GPL"', edits: [{ range: ctx.range(lic.span), newText: '"Dual BSD/GPL"' }] },
        ],
      },
    );
  }
}
