// ELF section names libbpf maps to program types (libbpf's section_defs), with what they mean here.
// The analyzer finds programs by them; completion offers them; hover explains them.

export type SecProgramType = 'xdp' | 'tc' | 'socket' | 'tracing' | 'cgroup' | 'other';

export interface SecName {
  /** The exact section name, or a prefix ending in "/" that takes a target (e.g. "kprobe/"). */
  readonly name: string;
  readonly programType: SecProgramType;
  /** XDP only: loaded with BPF_F_XDP_HAS_FRAGS (multi-buffer aware). */
  readonly frags: boolean;
  /** XDP only: expected_attach_type — where the program may be attached. */
  readonly attach?: 'xdp' | 'devmap' | 'cpumap';
  /** One line, ours. */
  readonly summary: string;
}

export const secNames: readonly SecName[] = [
  {
    name: 'xdp',
    programType: 'xdp',
    frags: false,
    attach: 'xdp',
    summary: 'XDP program attached to a device (native, generic or offload).',
  },
  {
    name: 'xdp.frags',
    programType: 'xdp',
    frags: true,
    attach: 'xdp',
    summary:
      'XDP program that accepts multi-buffer frames (jumbo frames, GRO on veth); use bpf_xdp_load_bytes beyond the linear part.',
  },
  {
    name: 'xdp/devmap',
    programType: 'xdp',
    frags: false,
    attach: 'devmap',
    summary: 'XDP program run on each frame a DEVMAP entry sends (egress program; sees egress_ifindex).',
  },
  {
    name: 'xdp.frags/devmap',
    programType: 'xdp',
    frags: true,
    attach: 'devmap',
    summary: 'Multi-buffer aware DEVMAP egress program.',
  },
  {
    name: 'xdp/cpumap',
    programType: 'xdp',
    frags: false,
    attach: 'cpumap',
    summary: 'XDP program run by a CPUMAP entry on the remote CPU before the skb is built.',
  },
  {
    name: 'xdp.frags/cpumap',
    programType: 'xdp',
    frags: true,
    attach: 'cpumap',
    summary: 'Multi-buffer aware CPUMAP program.',
  },
  {
    name: 'tc',
    programType: 'tc',
    frags: false,
    summary: 'tc classifier (BPF_PROG_TYPE_SCHED_CLS) on an skb.',
  },
  { name: 'tcx/ingress', programType: 'tc', frags: false, summary: 'tcx ingress program (6.6+).' },
  { name: 'tcx/egress', programType: 'tc', frags: false, summary: 'tcx egress program (6.6+).' },
  { name: 'classifier', programType: 'tc', frags: false, summary: 'Older name for a tc classifier.' },
  { name: 'socket', programType: 'socket', frags: false, summary: 'Socket filter (SO_ATTACH_BPF).' },
  {
    name: 'sk_skb/stream_verdict',
    programType: 'socket',
    frags: false,
    summary: 'SOCKMAP stream verdict program.',
  },
  { name: 'sk_msg', programType: 'socket', frags: false, summary: 'SOCKMAP sendmsg verdict program.' },
  { name: 'kprobe/', programType: 'tracing', frags: false, summary: 'kprobe on the named kernel function.' },
  {
    name: 'kretprobe/',
    programType: 'tracing',
    frags: false,
    summary: 'kretprobe on the named kernel function.',
  },
  {
    name: 'tracepoint/',
    programType: 'tracing',
    frags: false,
    summary: 'Tracepoint program (e.g. tracepoint/xdp/xdp_redirect).',
  },
  { name: 'tp/', programType: 'tracing', frags: false, summary: 'Short form of tracepoint/.' },
  { name: 'raw_tracepoint/', programType: 'tracing', frags: false, summary: 'Raw tracepoint program.' },
  { name: 'tp_btf/', programType: 'tracing', frags: false, summary: 'BTF-typed raw tracepoint.' },
  {
    name: 'fentry/',
    programType: 'tracing',
    frags: false,
    summary: 'fentry program (also attachable to an XDP program by name).',
  },
  {
    name: 'fexit/',
    programType: 'tracing',
    frags: false,
    summary: 'fexit program (e.g. to watch an XDP program return).',
  },
  { name: 'cgroup_skb/ingress', programType: 'cgroup', frags: false, summary: 'cgroup ingress skb filter.' },
  { name: 'cgroup_skb/egress', programType: 'cgroup', frags: false, summary: 'cgroup egress skb filter.' },
];

/** Sections that hold data rather than programs. */
export const dataSections: readonly string[] = ['.maps', 'maps', 'license', '.rodata', '.data', '.bss'];

/** The program description for a SEC("...") string, or undefined when libbpf would not know it. */
export function secByName(sec: string): SecName | undefined {
  return (
    secNames.find((s) => s.name === sec) ??
    secNames.find((s) => s.name.endsWith('/') && sec.startsWith(s.name))
  );
}

/** XDP section info; legacy "xdp…" spellings count as plain (or frags) XDP programs. */
export function xdpSecInfo(sec: string): SecName | undefined {
  const known = secByName(sec);
  if (known) return known.programType === 'xdp' ? known : undefined;
  // Pre-1.0 libbpf took any "xdp" prefix (SEC("xdp_prog"), SEC("xdp/foo")); libbpf 1.x refuses them
  // (the analyzer warns), but the code in them is still meant as XDP and is checked as such.
  if (sec.startsWith('xdp.frags')) return secNames[1];
  if (sec.startsWith('xdp')) return secNames[0];
  return undefined;
}
