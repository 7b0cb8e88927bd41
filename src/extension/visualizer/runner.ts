// Runs a scenario for the visualizer: reads the file, applies the panel's traffic edits, runs the
// redirect simulator and turns its result into the view model. The simulator (issue #4) plugs in
// here; until it lands the run fails with a message that says so.
import type { TrafficEdit, VisModel } from '../../protocol/visualizer';

export interface ScenarioRunRequest {
  scenarioPath: string;
  edits?: readonly TrafficEdit[];
  /** Timeline events kept for the panel (xdpLab.simulation.maxEvents). */
  maxEvents: number;
  instructionBudget: number;
  clangPath: string;
  clangArgs: readonly string[];
  signal?: AbortSignal;
}

export interface ScenarioRunOutput {
  model: VisModel;
  /** What each device transmitted, as pcap files (device name → bytes), when the run recorded it. */
  pcaps: ReadonlyMap<string, Uint8Array>;
  /** Files the run read (scenario, program sources/objects): saving one of them re-runs. */
  inputs: readonly string[];
}

export function runScenarioForView(req: ScenarioRunRequest): Promise<ScenarioRunOutput> {
  return Promise.reject(
    new Error(
      `${req.scenarioPath}: the redirect simulator (issue #4) has not landed in this build yet, so there is nothing to draw`,
    ),
  );
}
