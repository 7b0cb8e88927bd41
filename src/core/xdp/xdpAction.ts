// XDP verdicts (enum xdp_action, include/uapi/linux/bpf.h) and the redirect flag bits (§0 constants).

export const XDP_ABORTED = 0;
export const XDP_DROP = 1;
export const XDP_PASS = 2;
export const XDP_TX = 3;
export const XDP_REDIRECT = 4;

export const BPF_F_BROADCAST = 1 << 3;
export const BPF_F_EXCLUDE_INGRESS = 1 << 4;

/** BPF map type numbers that step 2 dispatches on (RedirectInfo.mapType). */
export const MAP_TYPE_DEVMAP = 14;
export const MAP_TYPE_CPUMAP = 16;
export const MAP_TYPE_XSKMAP = 17;
export const MAP_TYPE_DEVMAP_HASH = 25;

/** Errno numbers step 2 and the transmit paths return (negated in tracepoints), §7. */
export const ENOENT = 2;
export const ENXIO = 6;
export const ENOMEM = 12;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EBADRQC = 56;
export const EOVERFLOW = 75;
export const EMSGSIZE = 90;
export const EOPNOTSUPP = 95;
export const ENETDOWN = 100;
export const ENOBUFS = 105;
