// The Debug Adapter Protocol's envelope (requests, responses, events) as plain objects, and the
// launch arguments of debug type `xdp-lab` (../shared/specs/debugger.md "Launch request arguments").
import type { GlobalValue } from '../elf/globals';
import type { LoadOptions } from '../elf/loadObject';
import type { ConntrackSpec } from '../xdp/conntrack';

export interface DapRequest {
  seq: number;
  type: 'request';
  command: string;
  arguments?: Record<string, unknown>;
}

export interface DapResponse {
  seq: number;
  type: 'response';
  request_seq: number;
  success: boolean;
  command: string;
  message?: string;
  body?: unknown;
}

export interface DapEvent {
  seq: number;
  type: 'event';
  event: string;
  body?: unknown;
}

export type DapMessage = DapRequest | DapResponse | DapEvent;

/** `frame` of the launch arguments: a raw frame file, or the N-th frame (1-based) of a scenario. */
export type LaunchFrame = string | { scenario: string; index?: number };

export interface LaunchArguments {
  /** A `.c` (compiled first) or an ELF object. */
  program?: string;
  /** The XDP program's function name (default: the first XDP program). */
  function?: string;
  frame?: LaunchFrame;
  /** JSON file of map entries to load before the run (the `run --maps` format). */
  maps?: string;
  stopOnEntry?: boolean;
  ingressIfindex?: number;
  rxQueueIndex?: number;
  cpu?: number;
  /** Instruction budget of the run (default 1 M). */
  budget?: number;
  /** With a scenario frame whose device runs libxdp's dispatcher: false debugs `program` alone. */
  chain?: boolean;
  /**
   * A kernel config file (`CONFIG_X=…` lines, plain or gzip) `.kconfig` externs read before the
   * running kernel's, as `run --kconfig FILE` reads it (libbpf's bpf_object_open_opts.kconfig);
   * relative to the adapter's working directory. An extension of specs/debugger.md (docs/debugger.md).
   */
  kconfig?: string;
}

/** One program of a libxdp dispatcher chain, as the scenario writes it (`xdp: [ … ]`). */
export interface LaunchComponent {
  /** The scenario's program name. */
  name: string;
  /** Components with the same `file` share one loaded object (maps, globals), as the simulator loads them. */
  file: string;
  object: Uint8Array;
  objectName: string;
  function?: string;
  /** libxdp's run_prio and chain-call actions from the scenario; absent: the object's XDP_RUN_CONFIG, else the defaults. */
  priority?: number;
  chainCallActions?: number[];
  /** The scenario program's `globals`, set before the run as the simulator sets them. */
  globals?: Record<string, GlobalValue>;
}

/** What the host (Node, a browser) prepares from the launch arguments: bytes, never paths. */
export interface LaunchInput {
  object: Uint8Array;
  /** Object name (libbpf: the file name up to its first dot). */
  objectName: string;
  frame: Uint8Array;
  /** How the frame was chosen, for the console ("default UDP frame", a file name). */
  frameLabel: string;
  maps?: unknown;
  /** The conntrack table before the run (a scenario's `conntrack`): what conntrack kfuncs find. */
  conntrack?: ConntrackSpec[];
  function?: string;
  stopOnEntry: boolean;
  ingressIfindex: number;
  rxQueueIndex: number;
  cpu: number;
  budget?: number;
  /** The receiving device's dispatcher chain (every component is debugged; `object` is ignored). */
  chain?: { device: string; components: LaunchComponent[] };
  /**
   * The kernel BTF CO-RE resolves against, for the run and the Registers' verifier walk alike (the
   * Node host reads /sys/kernel/btf/vmlinux, node/kernelBtf.ts, as `run` and `verify` do); called
   * only when a relocation needs it. Absent, or returning undefined: the bundled BTF.
   */
  targetBtf?: () => Uint8Array | undefined;
  /** What targetBtf is, for messages ("the running kernel's BTF (/sys/kernel/btf/vmlinux)"). */
  targetBtfName?: string;
  /** The kernel config `.kconfig` externs read, as `run` reads it (loadObject's options; node/kernelConfig.ts). */
  kconfig?: LoadOptions['kconfig'];
  kconfigExtra?: LoadOptions['kconfigExtra'];
  kernelFacts?: LoadOptions['kernelFacts'];
}

/** A request the adapter refuses: its message is the failed response's message. */
export class ReplyError extends Error {}

/** The capabilities `initialize` answers (the contract's minimum and what this adapter adds). */
export const CAPABILITIES = {
  supportsConfigurationDoneRequest: true,
  supportsStepBack: true,
  supportsDisassembleRequest: true,
  supportsReadMemoryRequest: true,
  supportsEvaluateForHovers: true,
  supportsConditionalBreakpoints: true,
  supportsHitConditionalBreakpoints: true,
  supportsInstructionBreakpoints: true,
  supportsSteppingGranularity: true,
  supportsExceptionInfoRequest: true,
  supportsTerminateRequest: true,
  supportsBreakpointLocationsRequest: true,
};
