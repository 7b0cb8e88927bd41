// Map definitions the kernel refuses at creation: key/value sizes of DEVMAP, DEVMAP_HASH, CPUMAP and
// XSKMAP (../shared/notes/redirect-semantics.md §1.3), array keys, and keyless maps given a key.
import { shortMapTypeName } from '../../bpf/mapTypes';
import type { QuickFix } from '../diagnostic';
import type { MapInfo } from '../fileModel';
import type { RuleContext } from './ruleContext';

function attrFix(ctx: RuleContext, map: MapInfo, attr: string, newText: string, title: string): QuickFix[] {
  const a = map.attrs.get(attr);
  return a ? [{ title, edits: [{ range: ctx.range(a.span), newText }], preferred: true }] : [];
}

export function checkMaps(ctx: RuleContext): void {
  for (const map of ctx.model.maps) {
    const t = map.type;
    if (!t) {
      if (!map.attrs.has('type'))
        ctx.report('unknown-map-type', map.nameSpan, `Map ${map.name} has no type: libbpf cannot create it.`);
      continue;
    }
    const short = shortMapTypeName(t);
    const keyAttr = map.attrs.get('key') ?? map.attrs.get('key_size');
    const valueAttr = map.attrs.get('value') ?? map.attrs.get('value_size');
    const btfKey = map.attrs.has('key');
    const btfValue = map.attrs.has('value');
    if (t.noKey && map.keySize !== undefined && map.keySize !== 0 && keyAttr) {
      ctx.report(
        'map-key-value-size',
        keyAttr.span,
        `${short} maps have no key; the kernel refuses a key_size of ${map.keySize}.`,
      );
    } else if (t.keySize !== undefined && map.keySize !== undefined && map.keySize !== t.keySize && keyAttr) {
      ctx.report(
        'map-key-value-size',
        keyAttr.span,
        `${short} keys are ${t.keySize} bytes (a __u32 ${t.redirectTarget ? 'slot, CPU or ifindex' : 'index'}); ${map.name} declares ${map.keySize}: map creation fails with EINVAL.`,
        {
          fixes: btfKey
            ? attrFix(ctx, map, 'key', '__u32', 'Use __u32 as key')
            : attrFix(ctx, map, 'key_size', '4', 'Use key_size 4'),
        },
      );
    }
    if (t.valueSizes && map.valueSize !== undefined && !t.valueSizes.includes(map.valueSize) && valueAttr) {
      const allowed = t.valueSizes.join(' or ');
      const what = t.valueLayout ? ` (${t.valueLayout})` : '';
      const suggestion =
        t.value === 14 || t.value === 25
          ? 'struct bpf_devmap_val'
          : t.value === 16
            ? 'struct bpf_cpumap_val'
            : '__u32';
      ctx.report(
        'map-key-value-size',
        valueAttr.span,
        `${short} values must be ${allowed} bytes${what}; ${map.name} declares ${map.valueSize}: map creation fails with EINVAL.`,
        {
          fixes: btfValue
            ? attrFix(ctx, map, 'value', suggestion, `Use ${suggestion} as value`)
            : attrFix(ctx, map, 'value_size', String(t.valueSizes[0]), `Use value_size ${t.valueSizes[0]}`),
        },
      );
    }
  }
}
