// bpf_redirect / bpf_redirect_map checks (../shared/notes/redirect-semantics.md §1.3 map types,
// §2.1 bpf_redirect flags, §2.2 bpf_redirect_map flag evaluation order).
import { BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, REDIRECT_ACTION_MASK } from '../../bpf/flags';
import { shortMapTypeName } from '../../bpf/mapTypes';
import type { MapInfo } from '../fileModel';
import { evalConst } from '../constEval';
import type { QuickFix } from '../diagnostic';
import type { RuleContext } from './ruleContext';

const hex = (v: bigint): string => (v < 16n ? String(v) : `0x${v.toString(16)}`);

/** Fixes that change the map's type to a redirect-capable one, most likely first. */
function retypeFixes(ctx: RuleContext, map: MapInfo): QuickFix[] {
  const typeAttr = map.attrs.get('type');
  if (!typeAttr) return [];
  const hashLike = /HASH/.test(map.type?.name ?? '');
  const order = hashLike
    ? ['DEVMAP_HASH', 'DEVMAP', 'XSKMAP', 'CPUMAP']
    : ['DEVMAP', 'DEVMAP_HASH', 'XSKMAP', 'CPUMAP'];
  return order.map((t, i) => ({
    title: `Change ${map.name} to BPF_MAP_TYPE_${t}`,
    edits: [{ range: ctx.range(typeAttr.span), newText: `BPF_MAP_TYPE_${t}` }],
    preferred: i === 0,
  }));
}

export function checkRedirects(ctx: RuleContext): void {
  for (const call of ctx.model.calls) {
    if (call.name === 'bpf_redirect' && call.inFunction && ctx.xdpReachable.has(call.inFunction)) {
      const flagsNode = call.args[1];
      const flags = evalConst(flagsNode, ctx.model.constants);
      if (flagsNode && flags !== undefined && flags !== 0n) {
        ctx.report(
          'redirect-flags',
          { start: flagsNode.startIndex, end: flagsNode.endIndex },
          `bpf_redirect in XDP accepts no flags (got ${hex(flags)}): the call returns XDP_ABORTED and nothing is redirected.`,
          {
            fixes: [
              {
                title: 'Pass 0 as flags',
                edits: [{ range: ctx.nodeRange(flagsNode), newText: '0' }],
                preferred: true,
              },
            ],
          },
        );
      }
      continue;
    }
    if (call.name !== 'bpf_redirect_map') continue;
    const map = ctx.mapOfArg(call.args[0]);
    const mapArg = call.args[0];
    if (map?.type && !map.type.redirectTarget && mapArg) {
      ctx.report(
        'redirect-map-type',
        { start: mapArg.startIndex, end: mapArg.endIndex },
        `bpf_redirect_map needs a DEVMAP, DEVMAP_HASH, CPUMAP or XSKMAP; ${map.name} is a ${shortMapTypeName(map.type)}, which the verifier rejects for this helper.`,
        {
          fixes: retypeFixes(ctx, map),
          related: [{ range: ctx.range(map.nameSpan), message: `${map.name} is defined here` }],
        },
      );
      continue;
    }
    const flagsNode = call.args[2];
    const flags = evalConst(flagsNode, ctx.model.constants);
    if (!flagsNode || flags === undefined) continue;
    const allowedExtra = BigInt(map?.type?.redirectFlags ?? BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
    const broadcastBits = BigInt(BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
    const bad = flags & ~(BigInt(REDIRECT_ACTION_MASK) | allowedExtra);
    const span = { start: flagsNode.startIndex, end: flagsNode.endIndex };
    const keep = flags & (BigInt(REDIRECT_ACTION_MASK) | allowedExtra);
    const fix: QuickFix = {
      title: `Use ${hex(keep)} as flags`,
      edits: [{ range: ctx.nodeRange(flagsNode), newText: hex(keep) }],
      preferred: true,
    };
    if (map?.type && (bad & broadcastBits) !== 0n) {
      ctx.report(
        'redirect-broadcast-flag',
        span,
        `BPF_F_BROADCAST and BPF_F_EXCLUDE_INGRESS only work with DEVMAP and DEVMAP_HASH; on the ${shortMapTypeName(map.type)} ${map.name} the call always returns XDP_ABORTED.`,
        { fixes: [fix] },
      );
    } else if (bad !== 0n) {
      const fallback = flags & 7n;
      const why =
        (bad & 4n) !== 0n && (bad & ~7n) === 0n
          ? ` (the low bits are the fallback action on a miss, and only XDP_ABORTED..XDP_TX fit: ${hex(fallback)} is not one)`
          : '';
      ctx.report(
        'redirect-flags',
        span,
        `bpf_redirect_map rejects flag bits ${hex(bad)}${why}: the call returns XDP_ABORTED even when the key exists.`,
        {
          fixes: [fix],
        },
      );
    } else if ((flags & BigInt(BPF_F_EXCLUDE_INGRESS)) !== 0n && (flags & BigInt(BPF_F_BROADCAST)) === 0n) {
      ctx.report(
        'redirect-exclude-without-broadcast',
        span,
        'BPF_F_EXCLUDE_INGRESS has no effect without BPF_F_BROADCAST: this is a plain unicast redirect.',
        {
          fixes: [
            {
              title: 'Add BPF_F_BROADCAST',
              edits: [{ range: ctx.nodeRange(flagsNode), newText: `${flagsNode.text} | BPF_F_BROADCAST` }],
              preferred: true,
            },
          ],
        },
      );
    }
  }
}
