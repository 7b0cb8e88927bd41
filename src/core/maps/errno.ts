// Linux errno numbers the map and helper code returns (negated, as the kernel does). Names and
// meanings for display live in ../trace/errnos.ts; these are only the numbers the engine needs.

export const EPERM = 1;
export const ENOENT = 2;
export const E2BIG = 7;
export const EBADF = 9;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const ERANGE = 34;
export const EOVERFLOW = 75;
export const ENOTSOCK = 88;
export const EOPNOTSUPP = 95;
/** Kernel-internal ENOTSUPP (not EOPNOTSUPP), returned e.g. by bpf_xdp_adjust_meta when unsupported. */
export const ENOTSUPP = 524;
