// The one table of the simulator's drop reasons (the keys of `devices[].dropReasons` and of the
// timeline's drop steps): what each means on a real host, its usual cause and fix, and the errno or
// tracepoint that shows it there (redirect-semantics.md §3–§5). Used by the CLI, the visualizer
// and the capture views, like trace/errnos.ts for errnos.
import type { DropReason } from './simulationResult';

export interface DropReasonInfo {
  readonly reason: DropReason;
  /** Short label for tables and graph edges. */
  readonly label: string;
  readonly meaning: string;
  readonly fix: string;
  /** How a real host shows it. */
  readonly seenAs: string;
}

export const dropReasons: Readonly<Record<DropReason, DropReasonInfo>> = {
  xdp_drop: {
    reason: 'xdp_drop',
    label: 'XDP_DROP',
    meaning: 'the program returned XDP_DROP',
    fix: 'intended, unless the program drops frames it should pass (check its parsing and bounds checks)',
    seenAs: 'no tracepoint; the driver counts xdp_drop',
  },
  xdp_aborted: {
    reason: 'xdp_aborted',
    label: 'XDP_ABORTED',
    meaning:
      'the program returned XDP_ABORTED (often a helper failure such as bpf_redirect with flags ≠ 0, or a redirect_map miss with fallback 0)',
    fix: 'return an explicit action; pass a fallback action (e.g. XDP_PASS) in the low bits of bpf_redirect_map flags',
    seenAs: 'xdp:xdp_exception action=ABORTED on the device with the program',
  },
  invalid_action: {
    reason: 'invalid_action',
    label: 'invalid verdict',
    meaning: 'a verdict outside 0..4 (or TX/REDIRECT from a devmap egress program) — treated as ABORTED',
    fix: 'return one of XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT (egress programs: PASS or DROP)',
    seenAs: 'xdp:xdp_exception with the raw action, plus a one-time kernel warning',
  },
  program_fault: {
    reason: 'program_fault',
    label: 'program fault',
    meaning:
      'the program faulted in the VM (out-of-bounds access, …): the kernel verifier would have refused to load it',
    fix: 'add the bounds check the fault message names',
    seenAs: 'the program never loads on a real host (verifier error)',
  },
  redirect_error: {
    reason: 'redirect_error',
    label: 'redirect error',
    meaning: 'step 2 of XDP_REDIRECT (xdp_do_redirect) failed; the errno says why',
    fix: 'see the errno: EOPNOTSUPP → give the veth target’s peer an XDP program or GRO; ENETDOWN → bring the target up; EMSGSIZE → raise its MTU; EINVAL → check the ifindex; EBADRQC → call a redirect helper before returning XDP_REDIRECT',
    seenAs:
      'xdp:xdp_redirect_err with err=-errno (drivers other than veth/virtio_net also fire xdp_exception)',
  },
  egress_prog_drop: {
    reason: 'egress_prog_drop',
    label: 'egress program drop',
    meaning: 'the devmap egress program dropped the frame at transmit (DROP, or ABORTED with an exception)',
    fix: 'check the egress program attached to the devmap entry — note the first frame of a flush cycle fixes the program for the whole queue',
    seenAs: 'counted in xdp:xdp_devmap_xmit drops (generic mode: nothing)',
  },
  ndo_xmit_error: {
    reason: 'ndo_xmit_error',
    label: 'ndo_xdp_xmit error',
    meaning:
      'the target driver refused the whole batch (veth: the peer has no NAPI — it is down, or has neither a native XDP program nor GRO)',
    fix: 'bring the veth peer up and attach an XDP program (even XDP_PASS) or enable GRO on it',
    seenAs: 'xdp:xdp_devmap_xmit / xdp:xdp_bulk_tx with err=-6 (ENXIO), drops=n',
  },
  peer_ring_full: {
    reason: 'peer_ring_full',
    label: 'veth ring full',
    meaning: 'the veth peer’s 256-slot receive ring was full',
    fix: 'send smaller bursts, add rx queues, or make the peer’s program faster',
    seenAs: 'xdp:xdp_devmap_xmit sent < queued with err=0',
  },
  peer_mtu: {
    reason: 'peer_mtu',
    label: 'peer MTU',
    meaning:
      'the frame is longer than the veth peer’s MTU + 18 (checked at transmit, after step 2 succeeded)',
    fix: 'raise the peer’s MTU to match the sender’s',
    seenAs: 'xdp:xdp_devmap_xmit drops with err=0; for skbs no tracepoint',
  },
  peer_down: {
    reason: 'peer_down',
    label: 'peer down',
    meaning: 'a veth transmitted an skb while its peer was down',
    fix: 'bring the peer up',
    seenAs: 'no tracepoint; the veth’s tx_dropped grows',
  },
  device_down: {
    reason: 'device_down',
    label: 'device down',
    meaning: 'the frame arrived at (or was sent from) a device that is down',
    fix: 'bring the device up',
    seenAs: 'no tracepoint',
  },
  tx_mtu: {
    reason: 'tx_mtu',
    label: 'sender MTU',
    meaning: 'the sending socket refused a frame longer than the device MTU + 14',
    fix: 'send smaller frames or raise the MTU',
    seenAs: 'sendmsg fails with EMSGSIZE',
  },
  cpumap_ring_full: {
    reason: 'cpumap_ring_full',
    label: 'cpumap ring full',
    meaning: 'the cpumap entry’s ring (qsize) was full when a bulk queue of 8 was pushed',
    fix: 'raise qsize, or move the kthread to a CPU that is not busy with the NAPI polls feeding it',
    seenAs:
      'xdp:xdp_cpumap_enqueue drops (native: the redirect still reports err=0); generic: xdp_redirect_err err=-28',
  },
  cpumap_prog_drop: {
    reason: 'cpumap_prog_drop',
    label: 'cpumap program drop',
    meaning: 'the cpumap program dropped the frame (DROP, ABORTED, TX or a failed redirect)',
    fix: 'check the cpumap program’s verdicts; ABORTED there fires no exception for frames',
    seenAs: 'xdp:xdp_cpumap_kthread xdp_drop',
  },
  xdp_tx_error: {
    reason: 'xdp_tx_error',
    label: 'XDP_TX error',
    meaning:
      'the buffer could not be turned into a frame for XDP_TX (headroom below 40 bytes after metadata)',
    fix: 'leave headroom: do not grow metadata/head into the last 40 bytes',
    seenAs: 'xdp:xdp_exception action=TX',
  },
  generic_tx_busy: {
    reason: 'generic_tx_busy',
    label: 'generic transmit busy',
    meaning: 'generic XDP transmitted directly through a driver that did not complete the transmit',
    fix: 'check the target device is up and its queue not stopped',
    seenAs: 'xdp:xdp_exception action=TX on the target',
  },
  no_destination: {
    reason: 'no_destination',
    label: 'broadcast: no destination',
    meaning:
      'a broadcast redirect found no valid entry (empty map, all entries down/excluded/without ndo_xdp_xmit) — reported as success',
    fix: 'fill the devmap, or check which entries are skipped (down, MTU, peer without XDP)',
    seenAs: 'xdp:xdp_redirect err=0 with no xdp_devmap_xmit',
  },
  xsk_error: {
    reason: 'xsk_error',
    label: 'AF_XDP error',
    meaning: 'an AF_XDP socket could not take the frame',
    fix: 'see the errno of the redirect error',
    seenAs: 'xdp:xdp_redirect_err',
  },
  unknown_program: {
    reason: 'unknown_program',
    label: 'unknown program',
    meaning:
      'the frame reached a program imported from a host without a local object (only its name, id and tag are known): its verdict is not guessed',
    fix: "point the scenario's program at its object (`file`, `function`): `xdp-lab import --objects DIR` matches objects by tag",
    seenAs: 'whatever the program on the host does with it',
  },
};

export function explainDrop(reason: DropReason): string {
  const d = dropReasons[reason];
  return `${d.label} — ${d.meaning}. Fix: ${d.fix}. On a real host: ${d.seenAs}.`;
}
