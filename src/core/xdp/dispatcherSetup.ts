// Builds a device's libxdp dispatcher from a scenario chain (`xdp: [ … ]`) the way xdp-loader does:
// each program's priority and chain-call actions from the scenario, else from its object's
// XDP_RUN_CONFIG, else libxdp's defaults; sorted by cmp_xdp_programs. And the dispatcher's
// topology and summary rows.
import { XDP_DEFAULT_CHAIN_CALL_ACTIONS, XDP_DEFAULT_RUN_PRIO, type XdpRunConfig } from '../elf/xdpRunConfig';
import type { ScenarioXdpComponent } from '../scenario/scenario';
import { xdpActionNames } from '../trace/tracepoints';
import type { XdpProgramHandle } from '../vm/xdpRun';
import type { DispatcherCounts, TopologyXdpComponent } from './simulationResult';
import {
  MAX_DISPATCHER_ACTIONS,
  XdpDispatcher,
  chainActionNames,
  orderComponents,
  type ComponentSpec,
} from './xdpDispatcher';

/**
 * The dispatcher for `chain`, or the reason libxdp refuses it (a component that is not an XDP
 * program). `objectConfig` is the run config of a program's object (it throws when libxdp could not
 * read it: xdp-loader fails too).
 */
export function buildDispatcher(
  chain: readonly ScenarioXdpComponent[],
  programs: ReadonlyMap<string, XdpProgramHandle>,
  objectConfig: (e: ScenarioXdpComponent, prog: XdpProgramHandle) => XdpRunConfig | undefined,
  id: number,
): XdpDispatcher | string {
  if (chain.length > MAX_DISPATCHER_ACTIONS)
    return `libxdp's dispatcher has ${MAX_DISPATCHER_ACTIONS} slots, the chain has ${chain.length} programs (E2BIG)`;
  const specs: ComponentSpec[] = [];
  for (const e of chain) {
    const prog = programs.get(e.program) as XdpProgramHandle;
    if (prog.attach !== 'xdp')
      return `'${e.program}' is a ${prog.attach} program, not an XDP attach program (libxdp refuses it)`;
    const fromObject = objectConfig(e, prog);
    const config: XdpRunConfig = {
      priority: e.priority ?? fromObject?.priority ?? XDP_DEFAULT_RUN_PRIO,
      chainCallActions: e.chainCallActions
        ? e.chainCallActions.reduce((m, a) => m | (1 << a), 0)
        : (fromObject?.chainCallActions ?? XDP_DEFAULT_CHAIN_CALL_ACTIONS),
    };
    specs.push({ prog, name: e.program, config });
  }
  return new XdpDispatcher(id, orderComponents(specs));
}

export function topologyComponents(d: XdpDispatcher): TopologyXdpComponent[] {
  return d.components.map((c) => ({
    program: c.name,
    function: c.prog.name,
    progId: c.prog.id,
    priority: c.priority,
    chainCallActions: chainActionNames(c.chainCallActions),
  }));
}

/** The dispatcher's counts so far, as the summary holds them. */
export function dispatcherCounts(d: XdpDispatcher): DispatcherCounts {
  return {
    progId: d.id,
    components: d.components.map((c) => {
      const actions: Record<string, number> = {};
      c.returned.forEach((n, a) => {
        if (n) actions[a < 5 ? `XDP_${xdpActionNames[a] as string}` : 'invalid'] = n;
      });
      const runs = c.returned.reduce((x, y) => x + y, 0) + c.faults;
      return {
        program: c.name,
        priority: c.priority,
        chainCallActions: chainActionNames(c.chainCallActions),
        runs,
        actions,
        decided: c.decided,
        ...(c.faults ? { faults: c.faults } : {}),
      };
    }),
    passedThrough: d.passedThrough,
  };
}
