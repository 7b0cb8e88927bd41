// The one table of driver profiles: which xdp_features bits a device of each driver advertises
// (redirect-semantics.md §1.4) and the driver-specific behaviours around step 2 (§3.1).
// Sources: the 6.18 drivers' xdp_features setup (bits set at probe, NDO_XMIT toggled by
// xdp_features_{set,clear}_redirect_target when an XDP program is attached/detached).

/** NETDEV_XDP_ACT_* bits (include/uapi/linux/netdev.h). */
export const XDP_FEATURE = {
  BASIC: 1,
  REDIRECT: 2,
  NDO_XMIT: 4,
  XSK_ZEROCOPY: 8,
  HW_OFFLOAD: 16,
  RX_SG: 32,
  NDO_XMIT_SG: 64,
} as const;

export const xdpFeatureNames: ReadonlyArray<[keyof typeof XDP_FEATURE, number]> = Object.entries(
  XDP_FEATURE,
) as Array<[keyof typeof XDP_FEATURE, number]>;

export interface DriverProfile {
  readonly name: string;
  /** Bits advertised whatever is attached. */
  readonly baseFeatures: number;
  /** NDO_XMIT(/_SG) bits advertised only while the device itself has a native XDP program
   *  (Intel, virtio_net, bnxt: xdp_features_set_redirect_target on attach). 0 when always present. */
  readonly xmitWithProgram: number;
  /** The driver calls trace_xdp_exception when xdp_do_redirect fails (veth and virtio_net do not, §3.1). */
  readonly exceptionOnRedirectError: boolean;
  /** XDP_TX is bulked and reported by xdp:xdp_bulk_tx (veth §3.1); NICs transmit on their own ring. */
  readonly bulkTxTracepoint: boolean;
  readonly notes: string;
}

const F = XDP_FEATURE;

export const driverProfiles: Readonly<Record<string, DriverProfile>> = {
  // veth's NDO_XMIT bits depend on the peer (native program or GRO), computed in simDevice.ts (§1.4).
  veth: {
    name: 'veth',
    baseFeatures: F.BASIC | F.REDIRECT | F.RX_SG,
    xmitWithProgram: 0,
    exceptionOnRedirectError: false,
    bulkTxTracepoint: true,
    notes:
      'NDO_XMIT iff the peer has a native XDP program or GRO; transmits need the peer up (ENXIO otherwise)',
  },
  mlx5: {
    name: 'mlx5',
    baseFeatures: F.BASIC | F.REDIRECT | F.XSK_ZEROCOPY | F.RX_SG | F.NDO_XMIT | F.NDO_XMIT_SG,
    xmitWithProgram: 0,
    exceptionOnRedirectError: true,
    bulkTxTracepoint: false,
    notes: 'always a redirect target',
  },
  i40e: {
    name: 'i40e',
    baseFeatures: F.BASIC | F.REDIRECT | F.XSK_ZEROCOPY | F.RX_SG,
    xmitWithProgram: F.NDO_XMIT | F.NDO_XMIT_SG,
    exceptionOnRedirectError: true,
    bulkTxTracepoint: false,
    notes: 'a redirect target only while it has an XDP program attached (XDP tx rings)',
  },
  ice: {
    name: 'ice',
    baseFeatures: F.BASIC | F.REDIRECT | F.XSK_ZEROCOPY | F.RX_SG,
    xmitWithProgram: F.NDO_XMIT | F.NDO_XMIT_SG,
    exceptionOnRedirectError: true,
    bulkTxTracepoint: false,
    notes: 'a redirect target only while it has an XDP program attached (XDP tx rings)',
  },
  ixgbe: {
    name: 'ixgbe',
    baseFeatures: F.BASIC | F.REDIRECT | F.XSK_ZEROCOPY,
    xmitWithProgram: F.NDO_XMIT,
    exceptionOnRedirectError: true,
    bulkTxTracepoint: false,
    notes: 'no multi-buffer; a redirect target only while it has an XDP program attached',
  },
  virtio_net: {
    name: 'virtio_net',
    baseFeatures: F.BASIC | F.REDIRECT | F.RX_SG,
    xmitWithProgram: F.NDO_XMIT | F.NDO_XMIT_SG,
    exceptionOnRedirectError: false,
    bulkTxTracepoint: false,
    notes: 'a redirect target only while it has an XDP program attached',
  },
  bnxt: {
    name: 'bnxt',
    baseFeatures: F.BASIC | F.REDIRECT | F.RX_SG,
    xmitWithProgram: F.NDO_XMIT | F.NDO_XMIT_SG,
    exceptionOnRedirectError: true,
    bulkTxTracepoint: false,
    notes: 'a redirect target only while it has an XDP program attached',
  },
  'generic-only': {
    name: 'generic-only',
    baseFeatures: 0,
    xmitWithProgram: 0,
    exceptionOnRedirectError: false,
    bulkTxTracepoint: false,
    notes:
      'no native XDP: programs attach in generic (skb) mode only, and it is never a native redirect target',
  },
};

/** Names of the set bits, e.g. ['BASIC', 'REDIRECT', 'NDO_XMIT']. */
export function featureNames(bits: number): string[] {
  return xdpFeatureNames.filter(([, b]) => (bits & b) !== 0).map(([n]) => n);
}
