// What the redirect maps need to know about the world when user space updates them
// (redirect-semantics.md §1.3): whether an ifindex exists in the updating process's netns, and who
// owns a DEVMAP/CPUMAP (the frags flag of the first program that referenced it, §5).
import type { XdpProgramHandle } from '../vm/xdpRun';

export interface RedirectMapEnvironment {
  /** §1.3 DEVMAP rule 5: the ifindex names a device in the netns of the process doing the update. */
  ifindexExists(ifindex: number): boolean;
}

/** The default world: every positive ifindex exists (what a caller with no device model wants). */
export const anyIfindexExists: RedirectMapEnvironment = { ifindexExists: (i) => i > 0 };

/** The program a DEVMAP/CPUMAP is bound to (§5 "map owner"): later programs must match its frags flag. */
export interface MapOwner {
  frags: boolean;
}

/** §5: an egress program inserted into a map must match the owner's frags flag. */
export function ownerCompatible(owner: MapOwner | undefined, prog: XdpProgramHandle): boolean {
  return !owner || owner.frags === prog.frags;
}
