// The one errno table of XDP Lab: Linux errno names and numbers (x86_64/generic values), and for the
// XDP redirect context what each means, what usually causes it and what usually fixes it. Written
// from redirect-semantics.md §7 (and §3, §4 for where each is reported). Used by capture summaries,
// the results panel, the simulator and hovers alike.

export interface ErrnoInfo {
  readonly name: string;
  readonly number: number;
  /** One line: what the error means when an XDP tracepoint or a map operation reports it. */
  readonly meaning: string;
  /** The usual cause on a real setup. */
  readonly cause: string;
  /** The usual fix. */
  readonly fix: string;
  /** Where it shows up (tracepoint field or operation). */
  readonly where: string;
}

export const errnos: readonly ErrnoInfo[] = [
  {
    name: 'EPERM',
    number: 1,
    meaning: 'operation not permitted',
    cause:
      'a user-space update or delete of a frozen map: libbpf freezes .rodata and .kconfig once it has filled them (map_get_sys_perms drops write access)',
    fix: 'set a .rodata knob before the load (the skeleton way: --global NAME=VALUE); .kconfig values come from the kernel config (--kconfig FILE)',
    where: 'map update/delete from user space (bpf_map_update_elem, bpf_map_delete_elem)',
  },
  {
    name: 'ENOENT',
    number: 2,
    meaning: 'no such entry',
    cause:
      'a broadcast redirect whose map was being torn down; a lookup/delete of a missing key (DEVMAP lookup, DEVMAP_HASH, CPUMAP lookup); XSKMAP update with BPF_EXIST on an empty slot',
    fix: 'keep the map alive while programs use it; insert the key before looking it up',
    where: 'xdp_redirect_err (broadcast); map lookup/update/delete',
  },
  {
    name: 'ENXIO',
    number: 6,
    meaning: 'no usable receiver',
    cause:
      'AF_XDP socket not bound (redirect error); veth transmit whose peer has no NAPI — the peer is down, or has neither a native XDP program nor GRO (reported in xdp_devmap_xmit.err or xdp_bulk_tx.err)',
    fix: 'bind the AF_XDP socket before redirecting to it; bring the veth peer up and attach an XDP program (even XDP_PASS) or enable GRO on it',
    where: 'xdp_redirect_err (XSKMAP); xdp_devmap_xmit / xdp_bulk_tx err',
  },
  {
    name: 'E2BIG',
    number: 7,
    meaning: 'key or size beyond the limit',
    cause:
      'map update with key ≥ max_entries (DEVMAP, CPUMAP, XSKMAP); DEVMAP_HASH full; CPUMAP created with max_entries > NR_CPUS; test-run batch_size > 256',
    fix: 'use a key below max_entries or create the map larger',
    where: 'map update / create; BPF_PROG_TEST_RUN',
  },
  {
    name: 'EBADF',
    number: 9,
    meaning: 'bad file descriptor',
    cause: 'XSKMAP update with a closed fd',
    fix: 'pass the fd of an open AF_XDP socket',
    where: 'XSKMAP update',
  },
  {
    name: 'ENOMEM',
    number: 12,
    meaning: 'out of memory (or CPUMAP entry creation failed)',
    cause:
      'AF_XDP copy mode with an empty fill ring; a broadcast copy allocation failed; any CPUMAP entry creation failure, including a bad or incompatible program fd',
    fix: 'keep the AF_XDP fill ring stocked; for CPUMAP updates check the program fd (type BPF_XDP_CPUMAP, same frags flag) and qsize',
    where: 'xdp_redirect_err (XSKMAP, broadcast); CPUMAP update',
  },
  {
    name: 'EEXIST',
    number: 17,
    meaning: 'entry exists',
    cause:
      'DEVMAP/CPUMAP update with BPF_NOEXIST (every slot "exists"); DEVMAP_HASH/XSKMAP BPF_NOEXIST on an occupied key',
    fix: 'use BPF_ANY or BPF_EXIST for array-like redirect maps',
    where: 'map update',
  },
  {
    name: 'ENODEV',
    number: 19,
    meaning: 'no such device or CPU',
    cause:
      'CPUMAP update for a CPU that is not possible on this machine; test-run ctx with an unknown ingress ifindex',
    fix: 'use CPU numbers below the possible CPU count; give an existing ingress ifindex',
    where: 'CPUMAP update; BPF_PROG_TEST_RUN',
  },
  {
    name: 'EINVAL',
    number: 22,
    meaning: 'invalid target or argument',
    cause:
      'the target ifindex does not exist in the receiving device’s network namespace (0, a deleted device, or another netns); AF_XDP socket bound to another device/queue; map update with bad flags, ifindex 0 with a program, a bad ifindex or program',
    fix: 'redirect to an ifindex of the same netns as the receiving device; bind the AF_XDP socket to the receiving device and queue; check the map value',
    where: 'xdp_redirect_err; map update/create; veth ndo_xdp_xmit flags',
  },
  {
    name: 'ENOSPC',
    number: 28,
    meaning: 'no room',
    cause:
      'AF_XDP frame larger than the chunk without XDP_USE_SG; generic-mode CPUMAP ring full; native veth attach with fewer rx queues than the peer’s tx queues',
    fix: 'bind the AF_XDP socket with XDP_USE_SG or larger chunks; enlarge the CPUMAP qsize; match veth queue counts',
    where: 'xdp_redirect_err (XSKMAP, generic CPUMAP); XDP attach',
  },
  {
    name: 'ERANGE',
    number: 34,
    meaning: 'MTU too large for XDP',
    cause: 'native XDP attach on a veth whose peer MTU exceeds 3506 with a program that is not frags-aware',
    fix: 'lower the peer MTU or build the program as xdp.frags',
    where: 'XDP attach',
  },
  {
    name: 'EBADRQC',
    number: 56,
    meaning: 'XDP_REDIRECT with no pending target',
    cause:
      'the program returned XDP_REDIRECT without calling bpf_redirect/bpf_redirect_map in this context (or the target was already consumed)',
    fix: 'return the value of bpf_redirect_map()/bpf_redirect() instead of a bare XDP_REDIRECT',
    where: 'xdp_redirect_err',
  },
  {
    name: 'EOVERFLOW',
    number: 75,
    meaning: 'buffer cannot become an xdp_frame',
    cause:
      'headroom or tailroom violated so the frame conversion failed (zero-copy copy failure); CPUMAP update with qsize > 16384',
    fix: 'keep at least 40 bytes of headroom; use a CPUMAP qsize ≤ 16384',
    where: 'xdp_redirect_err; CPUMAP update',
  },
  {
    name: 'ENOTSOCK',
    number: 88,
    meaning: 'not a socket',
    cause: 'XSKMAP update with an fd that is not a socket',
    fix: 'pass an AF_XDP socket fd',
    where: 'XSKMAP update',
  },
  {
    name: 'EMSGSIZE',
    number: 90,
    meaning: 'frame larger than the target MTU',
    cause: 'frame length (with Ethernet header) > target mtu + 14 + 4',
    fix: 'raise the target device MTU or send smaller frames',
    where: 'xdp_redirect_err',
  },
  {
    name: 'EOPNOTSUPP',
    number: 95,
    meaning: 'target cannot transmit XDP frames (no ndo_xdp_xmit)',
    cause:
      'native redirect to a device without NETDEV_XDP_ACT_NDO_XMIT; for a veth target this means its peer has neither a native XDP program nor GRO enabled (the classic silent drop); frags to a device without NDO_XMIT_SG; XSKMAP update with a non-AF_XDP socket',
    fix: 'attach an XDP program (even one returning XDP_PASS) in native mode to the veth target’s peer, or enable GRO on the peer (ethtool -K PEER gro on); or attach the redirecting program in generic (xdpgeneric) mode',
    where: 'xdp_redirect_err; XSKMAP update/lookup; adjust_tail',
  },
  {
    name: 'ENETDOWN',
    number: 100,
    meaning: 'target device is down',
    cause: 'the redirect target (or, in generic mode, a broadcast member) is not administratively up',
    fix: 'ip link set dev TARGET up',
    where: 'xdp_redirect_err',
  },
  {
    name: 'ENOBUFS',
    number: 105,
    meaning: 'AF_XDP rx ring full',
    cause: 'the user-space AF_XDP reader does not drain its rx ring fast enough',
    fix: 'read the rx ring faster or make it larger',
    where: 'xdp_redirect_err (XSKMAP)',
  },
];

const byNumber = new Map<number, ErrnoInfo>(errnos.map((e) => [e.number, e]));
const byName = new Map<string, ErrnoInfo>(errnos.map((e) => [e.name, e]));

/** Info for an errno given as positive or negative number (tracepoints print `err=-95`). */
export function errnoInfo(errno: number): ErrnoInfo | undefined {
  return byNumber.get(Math.abs(errno));
}

export function errnoByName(name: string): ErrnoInfo | undefined {
  return byName.get(name);
}

/** The symbolic name used as a key in summaries: `EOPNOTSUPP`, or `E<n>` for one not in the table. */
export function errnoName(errno: number): string {
  return byNumber.get(Math.abs(errno))?.name ?? `E${Math.abs(errno)}`;
}

/** Reverse of errnoName, for summaries read back from JSON (`E123` → 123). */
export function errnoNumber(name: string): number | undefined {
  const known = byName.get(name);
  if (known) return known.number;
  const m = /^E(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The one-paragraph explanation shown next to an errno count. */
export function explainErrno(errno: number): string {
  const e = errnoInfo(errno);
  if (!e) return `errno ${Math.abs(errno)}: not an errno XDP Lab knows in the XDP context`;
  return `${e.name} (${e.number}) — ${e.meaning}. Usual cause: ${e.cause}. Usual fix: ${e.fix}.`;
}
