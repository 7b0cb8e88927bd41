// What a simulation is built from — the scenario and its loaded objects — and the setup error that
// makes a scenario unusable (exit 2, naming the JSON path). Shared by the setup files
// (deviceSetup.ts, mapSetup.ts, topologySetup.ts) and simulation.ts.
import type { BpfMap } from '../maps/bpfMap';
import type { Scenario } from '../scenario/scenario';
import type { XdpRunConfig } from '../elf/xdpRunConfig';
import type { XdpProgramHandle } from '../vm/xdpRun';

/** One loaded object (ELF file): its programs and maps, as the VM's loader returns them. */
export interface LoadedObject {
  programs: readonly XdpProgramHandle[];
  maps: readonly BpfMap[];
}

export interface SimulationInput {
  scenario: Scenario;
  /** By the scenario's `programs[].file` (one object per file: programs of a file share its maps). */
  objects: ReadonlyMap<string, LoadedObject>;
  /** Frames of the pcap files named by traffic entries, by the `pcap` string as written. */
  pcaps?: ReadonlyMap<string, readonly Uint8Array[]>;
  /** libxdp run configs (XDP_RUN_CONFIG) by file, then function; a string is why the file's could
   *  not be read (an error only if a dispatcher chain uses a program of that file). */
  runConfigs?: ReadonlyMap<string, ReadonlyMap<string, XdpRunConfig> | string>;
}

/** A setup problem that makes the scenario unusable (exit 2): names the JSON path. */
export class SimulationSetupError extends Error {
  constructor(
    readonly path: string,
    readonly why: string,
  ) {
    super(`${path}: ${why}`);
  }
}

/** The ifindexes of a scenario: what "exists in the updating netns" means for devmap updates (§1.3). */
export function scenarioIfindexes(scenario: Scenario): Set<number> {
  return new Set([1, ...scenario.devices.map((d) => d.simIfindex)]);
}
