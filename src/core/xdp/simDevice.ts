// A network device of the simulated host: the properties the redirect code looks at (§1.4: IFF_UP,
// MTU + hard_header_len, xdp_features), its attached program, veth's peer and receive rings, and
// the per-device counters of the summary.
import type { DeviceKind, DriverName, FeatureOverrides, XdpMode } from '../scenario/scenario';
import type { XdpProgramHandle } from '../vm/xdpRun';
import { XDP_FEATURE, driverProfiles, type DriverProfile } from './driverProfiles';
import { FrameQueue } from './frameQueue';
import type { SimFrame } from './simFrame';
import type { DropReason, SimDeviceCounters } from './simulationResult';
import { objectArray } from './objectArray';

export const ETH_HLEN = 14;
export const VLAN_HLEN = 4;
/** veth: slots of each rx queue's ptr_ring (§4.1). */
export const VETH_RING_SIZE = 256;
/** veth refuses a non-frags native program when the peer's MTU exceeds this (§1.4, ERANGE). */
export const VETH_MAX_PEER_MTU_LINEAR = 4096 - 256 - 320 - ETH_HLEN;

/** One veth rx queue (struct veth_rq): its ring of frames and whether its NAPI is on a poll list. */
export interface VethRxQueue {
  readonly kind: 'veth';
  readonly dev: SimDevice;
  readonly index: number;
  readonly ring: FrameQueue;
  scheduled: boolean;
  /** veth_poll's batch of up to NAPI_WEIGHT frames and its XDP_TX bulk (on the kernel's stack). */
  readonly batch: SimFrame[];
  readonly txBulk: { readonly frames: SimFrame[]; count: number };
}

export class SimDevice {
  readonly profile: DriverProfile;
  peer: SimDevice | undefined;
  prog: XdpProgramHandle | undefined;
  progName: string | undefined;
  mode: XdpMode | undefined;
  /** An attached program with no local object (an imported host): frames reaching it are not
   *  guessed at but counted as 'unknown_program' (scenario.md "Scenarios of a real host"). */
  unknownProg: { name: string; tag?: string } | undefined;
  /** veth whose peer is outside the scenario (`"peer": null`): what it transmits leaves, counted as sent. */
  peerOutside = false;
  readonly rxQueues: VethRxQueue[];
  /** Position in the host's device list: indexes per-device tables (bulk queues, verdicts). */
  slot = -1;
  /** Frames of this device onTransmit has seen (SimulatorOptions.transmitLimit). */
  transmitsWatched = 0;
  /** Verdict counts of this device's native/generic program (folded into the summary at the end). */
  verdicts: number[] | undefined;
  readonly counters: SimDeviceCounters = {
    rxFrames: 0,
    xdpRx: 0,
    stack: 0,
    txFrames: 0,
    drops: 0,
    dropReasons: {},
  };

  constructor(
    readonly name: string,
    readonly ifindex: number,
    readonly kind: DeviceKind,
    readonly driver: DriverName,
    public up: boolean,
    public mtu: number,
    readonly queues: number,
    public gro: boolean,
    readonly overrides: FeatureOverrides,
  ) {
    // Any driver a host reports is accepted; one without a profile has generic XDP only (the kernel's
    // do_xdp_generic works on every device), unless explicit features say more.
    this.profile = driverProfiles[driver] ?? (driverProfiles['generic-only'] as DriverProfile);
    this.rxQueues = Array.from({ length: queues }, (_, index) => ({
      kind: 'veth' as const,
      dev: this,
      index,
      ring: new FrameQueue(VETH_RING_SIZE),
      scheduled: false,
      batch: objectArray<SimFrame>(),
      txBulk: { frames: objectArray<SimFrame>(), count: 0 },
    }));
  }

  readonly hardHeaderLen = ETH_HLEN;
  /** The verdict of `prog` when it is `r0 = K; exit` (set by the host; -1 otherwise): see Simulator.runProgram. */
  constVerdict = -1;
  private featureCache = -1;
  /** Set once the host is built: from then on xdp_features no longer change and are cached. */
  frozen = false;

  get nativeProg(): XdpProgramHandle | undefined {
    return this.mode === 'native' || this.mode === 'offload' ? this.prog : undefined;
  }

  /** A native (or offloaded) program is attached, known or not: what veth's NAPI and features follow. */
  get hasNativeProg(): boolean {
    return this.nativeProg !== undefined || (this.unknownProg !== undefined && this.mode !== 'generic');
  }

  get genericProg(): XdpProgramHandle | undefined {
    return this.mode === 'generic' ? this.prog : undefined;
  }

  /**
   * xdp_features as the redirect code reads them. veth (§1.4): NDO_XMIT|NDO_XMIT_SG iff the peer
   * has a native program or GRO (a generic program does not count). NICs: the profile, with the
   * redirect-target bits of drivers that set them only while a program is attached.
   */
  get xdpFeatures(): number {
    // Static while traffic runs (attachments, GRO and link state are set up before), so cached;
    // the getter stays small enough for V8 to inline into the per-frame target checks.
    const cached = this.featureCache;
    return cached >= 0 ? cached : this.computeFeatures();
  }

  private computeFeatures(): number {
    let bits = this.profile.baseFeatures;
    if (this.kind === 'veth') {
      const p = this.peer;
      // A peer outside the scenario: assumed able to take frames (they leave the scenario, counted).
      if (this.peerOutside || (p && (p.hasNativeProg || p.gro)))
        bits |= XDP_FEATURE.NDO_XMIT | XDP_FEATURE.NDO_XMIT_SG;
    } else if (this.hasNativeProg) bits |= this.profile.xmitWithProgram;
    const o = this.overrides;
    const set = (flag: boolean | undefined, bit: number): void => {
      if (flag === true) bits |= bit;
      else if (flag === false) bits &= ~bit;
    };
    set(o.native, XDP_FEATURE.BASIC);
    set(o.ndoXmit, XDP_FEATURE.NDO_XMIT);
    set(o.ndoXmitSg, XDP_FEATURE.NDO_XMIT_SG);
    set(o.rxSg, XDP_FEATURE.RX_SG);
    set(o.xskZeroCopy, XDP_FEATURE.XSK_ZEROCOPY);
    if (this.frozen) this.featureCache = bits;
    return bits;
  }

  /** veth: the rx queues' NAPI exists (device up and a native program or GRO), §1.4/§4.1. */
  get napiPresent(): boolean {
    return this.up && (this.hasNativeProg || this.gro);
  }

  /** The forwarding length limit: mtu + hard_header_len + VLAN_HLEN (§1.4, xdp_ok_fwd_dev). */
  get maxFrameLength(): number {
    return this.mtu + this.hardHeaderLen + VLAN_HLEN;
  }

  countDrop(reason: DropReason, n = 1): void {
    this.counters.drops += n;
    this.counters.dropReasons[reason] = (this.counters.dropReasons[reason] ?? 0) + n;
  }
}
