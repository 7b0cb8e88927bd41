// What the analyzer reports: one shape shared by the language server, `xdp-lab check` and tests.
import type { Range } from './textPositions';

/** Every diagnostic code the analyzer emits, with its default severity and a one-line meaning. */
export const diagnosticCodes = {
  'redirect-map-type': {
    severity: 'error',
    summary: 'bpf_redirect_map on a map type XDP_REDIRECT does not support',
  },
  'redirect-broadcast-flag': {
    severity: 'error',
    summary: 'BPF_F_BROADCAST / BPF_F_EXCLUDE_INGRESS on a map that is not a DEVMAP/DEVMAP_HASH',
  },
  'redirect-flags': {
    severity: 'error',
    summary: 'flag bits bpf_redirect/bpf_redirect_map reject: the call returns XDP_ABORTED',
  },
  'redirect-exclude-without-broadcast': {
    severity: 'warning',
    summary: 'BPF_F_EXCLUDE_INGRESS without BPF_F_BROADCAST is ignored',
  },
  'return-not-action': {
    severity: 'error',
    summary: 'an XDP program returns a value that is not an XDP action',
  },
  'unchecked-packet-access': {
    severity: 'error',
    summary: 'packet access without a data_end bounds check on the path',
  },
  'map-key-value-size': {
    severity: 'error',
    summary: 'key or value size the kernel refuses for this map type',
  },
  'map-key-padding': {
    severity: 'warning',
    summary: 'a hash map key struct with padding passed without being zeroed first',
  },
  'helper-not-in-xdp': { severity: 'error', summary: 'a helper XDP programs may not call' },
  'missing-license': { severity: 'error', summary: 'GPL-only helpers need a GPL-compatible license section' },
  'frags-linear-access': {
    severity: 'warning',
    summary: 'an xdp.frags program treats the linear part as the whole frame',
  },
  'legacy-sec-name': { severity: 'information', summary: 'an XDP section name libbpf 1.x no longer accepts' },
  'unknown-map-type': { severity: 'warning', summary: 'a map definition without a known type' },
} as const;

export type DiagnosticCode = keyof typeof diagnosticCodes;
export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface TextEdit {
  readonly range: Range;
  readonly newText: string;
}

export interface QuickFix {
  readonly title: string;
  readonly edits: readonly TextEdit[];
  /** The fix a user most likely wants (LSP isPreferred). */
  readonly preferred?: boolean;
}

export interface RelatedInfo {
  readonly range: Range;
  readonly message: string;
}

export interface AnalysisDiagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly range: Range;
  readonly related?: readonly RelatedInfo[];
  readonly fixes?: readonly QuickFix[];
}
