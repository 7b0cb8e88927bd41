// Where the N-th frame of a scenario's traffic goes first: its traffic entry, the device that receives
// it (a veth's peer, or the NIC / test-run device itself) and the program attached there. The debugger
// runs that frame in this context (`frame: {scenario, index}`), the visualizer's "Debug this frame"
// names the program from it.
import type { Scenario, ScenarioDevice, ScenarioProgram, ScenarioTraffic } from './scenario';

export interface ScenarioFrame {
  readonly entry: ScenarioTraffic;
  readonly rx: ScenarioDevice | undefined;
  /** The XDP program attached to the receiving device, if any. */
  readonly program: ScenarioProgram | undefined;
}

/** The context of frame `index` (1-based, in traffic order); a string says why there is none. */
export function scenarioFrame(scenario: Scenario, index: number): ScenarioFrame | string {
  if (!Number.isInteger(index) || index < 1) return `${index} is not a frame number (1, 2, …)`;
  let n = 0;
  const entry = scenario.traffic.find((t) => {
    n += t.count;
    return n >= index;
  });
  if (!entry) return `the scenario's traffic has ${n} frames, not ${index}`;
  const dev = scenario.devices.find((d) => d.name === entry.device);
  const rx = entry.kind === 'from' && dev?.peer ? scenario.devices.find((d) => d.name === dev.peer) : dev;
  const program = rx?.xdp ? scenario.programs.find((p) => p.name === rx.xdp?.program) : undefined;
  return { entry, rx, program };
}
