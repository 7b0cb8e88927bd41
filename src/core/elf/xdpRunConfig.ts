// libxdp's run config of an XDP program, declared in the object's BTF with XDP_RUN_CONFIG(prog):
// `struct { __uint(priority, 10); __uint(XDP_PASS, 1); } _prog SEC(".xdp_run_config")` — what
// xdp-loader reads as the program's default priority and chain-call actions (xdp_program__parse_btf).
import { BTF_KIND, Btf } from './btf';
import { parseElf } from './elfFile';

/** XDP_DEFAULT_RUN_PRIO and XDP_DEFAULT_CHAIN_CALL_ACTIONS (1 << XDP_PASS) of xdp/xdp_helpers.h. */
export const XDP_DEFAULT_RUN_PRIO = 50;
export const XDP_DEFAULT_CHAIN_CALL_ACTIONS = 1 << 2;

/** libxdp's xdp_action_names: the member names a run config may set (index = action). */
const actionNames = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

export interface XdpRunConfig {
  priority: number;
  /** Bitmap of actions (bit n = action n) that continue the dispatcher's chain. */
  chainCallActions: number;
}

export class XdpRunConfigError extends Error {}

/**
 * The run config of every program that declares one, by function name. Mirrors
 * xdp_program__parse_btf: defaults (priority 50, XDP_PASS) with the struct's members on top —
 * `priority` sets it, an action name with a non-zero count sets its bit, zero clears it; any other
 * member, or one that is not an `__uint()` (`int (*)[N]`), makes libxdp refuse the program
 * (-ENOTSUP / -EINVAL), so it throws XdpRunConfigError naming it. An object without BTF or without
 * the section gives an empty map (every program takes the defaults).
 */
export function readXdpRunConfigs(object: Uint8Array): Map<string, XdpRunConfig> {
  const out = new Map<string, XdpRunConfig>();
  const sec = parseElf(object).sections.find((s) => s.name === '.BTF');
  if (!sec) return out;
  const btf = new Btf(sec.data);
  const ds = btf.findDatasec('.xdp_run_config');
  for (const v of ds?.vars ?? []) {
    const variable = btf.type(v.type);
    if (!variable || variable.kind !== BTF_KIND.VAR || !variable.name.startsWith('_')) continue;
    const prog = variable.name.slice(1);
    const st = btf.resolve(variable.sizeOrType);
    // btf_get_section_var wants a struct; libxdp then fails the lookup (-ENOENT: defaults).
    if (!st || st.kind !== BTF_KIND.STRUCT) continue;
    const cfg: XdpRunConfig = {
      priority: XDP_DEFAULT_RUN_PRIO,
      chainCallActions: XDP_DEFAULT_CHAIN_CALL_ACTIONS,
    };
    for (const m of st.members) {
      const ptr = btf.resolve(m.type);
      const arr = ptr && ptr.kind === BTF_KIND.PTR ? btf.type(ptr.sizeOrType) : undefined;
      const act = actionNames.indexOf(m.name);
      if (m.name !== 'priority' && act < 0)
        throw new XdpRunConfigError(
          `run config of '${prog}' (.xdp_run_config): member '${m.name}' is neither 'priority' nor an XDP action name; libxdp refuses the program (ENOTSUP)`,
        );
      if (!arr || arr.kind !== BTF_KIND.ARRAY || !arr.array)
        throw new XdpRunConfigError(
          `run config of '${prog}' (.xdp_run_config): member '${m.name}' is not an __uint() (int (*)[N]); libxdp refuses the program (EINVAL)`,
        );
      const n = arr.array.nelems >>> 0;
      if (m.name === 'priority') cfg.priority = n;
      else if (n) cfg.chainCallActions |= 1 << act;
      else cfg.chainCallActions &= ~(1 << act);
    }
    out.set(prog, cfg);
  }
  return out;
}
