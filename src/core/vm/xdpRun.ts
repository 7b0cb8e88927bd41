// The contract between the engine VM (src/core/vm, elf, maps, helpers) and the redirect simulator
// (src/core/xdp): how the simulator runs a loaded XDP program on one buffer in one context.
// The VM engineer owns the implementation; these shapes are what the simulator relies on.
import type { RedirectInfo } from '../xdp/redirectInfo';
import type { RedirectMissSlot } from '../xdp/redirectMiss';

/** An xdp_buff as the kernel lays it out (XDP_PACKET_HEADROOM = 256 before data). */
export interface XdpBuffer {
  /** Backing bytes: headroom + frame + tailroom. Programs may move data/dataEnd inside it. */
  bytes: Uint8Array;
  /** Offsets into `bytes`: data_meta ≤ data ≤ data_end. With no metadata, dataMeta === data. */
  dataMeta: number;
  data: number;
  dataEnd: number;
  /** Non-linear part (multi-buffer frames): page-sized frags after the linear part. */
  frags: Uint8Array[];
  /**
   * A DataView over exactly `bytes`, when its producer made one (the simulator's pages): a run uses
   * it instead of looking one up (Region.setWindow). Whoever replaces `bytes` replaces or clears it.
   */
  view?: DataView;
  /**
   * Where `bytes` sits in the machine's wasm linear memory, when its producer allocated it there
   * and knows (the simulator's pages: a typed array's byteOffset on a shared memory is a slow
   * read); -1 or absent otherwise. Whoever replaces `bytes` replaces or clears it.
   */
  at?: number;
}

/** Where the program runs: what the context rewrite exposes through `struct xdp_md`. */
export interface XdpRunContext {
  ingressIfindex: number;
  rxQueueIndex: number;
  /** Only devmap egress programs see a non-zero egress_ifindex. */
  egressIfindex: number;
  cpu: number;
  /** The per-context record the redirect helpers write (shared by all programs in the context). */
  redirect: RedirectInfo;
  /** Given by a caller that counts redirect-map misses (the simulator): bpf_redirect_map fills it. */
  miss?: RedirectMissSlot;
}

export interface ProgramFault {
  pc: number;
  /** "file.c:LL" from BTF line info when available. */
  line?: string;
  message: string;
}

export interface XdpRunResult {
  /** r0 as an unsigned 32-bit value (may be > 4: an invalid action). */
  action: number;
  insns: number;
  fault?: ProgramFault;
}

/** A loaded, runnable program of an object, ready for the simulator. */
export interface XdpProgramHandle {
  readonly name: string;
  /** Kernel-like program id (unique per loaded program, starting at 1). */
  readonly id: number;
  readonly section: string;
  /** 'xdp' for attach points, 'devmap'/'cpumap' for programs stored in those maps. */
  readonly attach: 'xdp' | 'devmap' | 'cpumap';
  /** Loaded with BPF_F_XDP_HAS_FRAGS (xdp.frags sections). */
  readonly frags: boolean;
  run(buffer: XdpBuffer, ctx: XdpRunContext): XdpRunResult;
}
