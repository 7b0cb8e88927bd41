// The XDP program return codes (enum xdp_action in the uapi) and what each does to a frame.
// One table: the analyzer, completion, hover and the VM's result naming all read it.

export type XdpActionName = 'XDP_ABORTED' | 'XDP_DROP' | 'XDP_PASS' | 'XDP_TX' | 'XDP_REDIRECT';

export interface XdpAction {
  readonly value: number;
  readonly name: XdpActionName;
  /** One line, ours. */
  readonly summary: string;
}

export const xdpActions: readonly XdpAction[] = [
  {
    value: 0,
    name: 'XDP_ABORTED',
    summary: 'Drops the frame as a program error and fires the xdp:xdp_exception tracepoint.',
  },
  {
    value: 1,
    name: 'XDP_DROP',
    summary: 'Drops the frame silently: the cheapest verdict, used for filtering and DDoS defence.',
  },
  {
    value: 2,
    name: 'XDP_PASS',
    summary: 'Hands the frame on to the normal network stack (an skb is built).',
  },
  {
    value: 3,
    name: 'XDP_TX',
    summary: 'Sends the frame back out of the interface it arrived on (rewrite the headers first).',
  },
  {
    value: 4,
    name: 'XDP_REDIRECT',
    summary:
      'Sends the frame where the last bpf_redirect/bpf_redirect_map call pointed: another device, a CPU or an AF_XDP socket.',
  },
];

/** Highest valid action: anything above is treated by the kernel like XDP_ABORTED (bpf_warn_invalid_xdp_action). */
export const maxXdpAction = 4;

const byName = new Map<string, XdpAction>(xdpActions.map((a) => [a.name, a]));

export function xdpActionByName(name: string): XdpAction | undefined {
  return byName.get(name);
}

export function xdpActionByValue(value: number): XdpAction | undefined {
  return xdpActions[value];
}
