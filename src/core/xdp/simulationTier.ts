// Which VM tier runs a simulation's programs when the caller does not say (docs/simulator.md
// "Tiers"): measured on the bench's devmap pipeline, one frame per run.
import type { VmTier } from '../vm/compiler';

/** The simulator's default tier. */
export function simulationTier(): VmTier {
  return 'js';
}
