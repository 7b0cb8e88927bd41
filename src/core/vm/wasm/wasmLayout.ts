// The linear memory the wasm-tier programs of one machine share: exchange slots with the JS side,
// the bpf-to-bpf call stack, the region table of the inline bounds checks, the context image,
// the stack frames, the packet, `exec` memory, and (shared memories) the heap that map values and
// test-run buffers are allocated from.

/** f64: instructions executed so far (written before every import call and at exit; JS reads it as is). */
export const SLOT_N = 0;
/** i32: the high word of an import's 64-bit answer (r0 of a helper, a slow-path load). */
export const SLOT_RH = 8;
/** i32: the current call depth (M.depth) while an import runs. */
export const SLOT_DEPTH = 12;
/** i32: 1 when the helper just called set up a tail call (M.tail !== null). */
export const SLOT_TAIL = 16;
/** i32: the CPU of the current run (M.cpu: per-CPU arrays' inline lookups). */
export const SLOT_CPU = 20;
/** i32: set to 1 before every import call (the in-module test-run loop hands the next repetition back to JS). */
export const SLOT_CALLED = 24;
/**
 * A bpf_redirect_map hit the module answered inline (REDIR_DESC), not yet written into the run's
 * RedirectInfo: pending flag, the map handle's region id, the key's low and high words, the flags.
 * The JS side writes the record (redirectMapDirect) before any import and after the run.
 */
export const SLOT_REDIR_PENDING = 28;
export const SLOT_REDIR_MAP = 32;
export const SLOT_REDIR_KEY_LO = 36;
export const SLOT_REDIR_KEY_HI = 40;
export const SLOT_REDIR_FLAGS = 44;
/** i32: r0's low word of the in-module loop's last repetition. */
export const SLOT_LAST_R0 = 48;

/** bpf-to-bpf call frames: r6–r9, the callee-saved "written" flags, the return block. */
export const CALL_STACK = 64;
export const FRAME_BYTES = 48;
export const FRAME_FLAGS = 32;
export const FRAME_RETURN = 36;

/**
 * One 16-byte entry per region id below TABLE_REGIONS: base (where offset 0 of the region is in
 * linear memory), lo, hi, whi (as Region). Regions not in linear memory have hi = whi = -1, so
 * every access to them takes the slow path (the context, NULL, map values outside the heap).
 */
export const REGION_TABLE = 8192;
export const TABLE_REGIONS = 4096;
export const ENTRY_BYTES = 16;

/**
 * The xdp_md context as the kernel's rewrite reads it (xdp_convert_ctx_access): one i64 per 4-byte
 * field (data, data_end, data_meta as packet pointers; ingress_ifindex, rx_queue_index,
 * egress_ifindex), so `ldxw rX, [ctx + off]` needs no call; CTX_VALID is 0 outside XDP runs.
 */
export const CTX_IMAGE = 1600;
export const CTX_FIELDS = 6;
/** The image is Machine.ctxImage (13 int32: the fields, then the valid flag). */
export const CTX_VALID = CTX_IMAGE + 8 * CTX_FIELDS;
export const CTX_IMAGE_WORDS = 2 * CTX_FIELDS + 1;

/** Stack frames of call depths 0..8, 512 bytes each. */
export const STACK_AREA = 2048;
/** The packet's bytes (headroom + frame + tailroom) during an XDP run whose frame is elsewhere. */
export const PACKET_AREA = REGION_TABLE + TABLE_REGIONS * ENTRY_BYTES;
export const PACKET_CAPACITY = 65536;
/**
 * Inline array lookups (the kernel's array_map_gen_lookup): per region id below TABLE_REGIONS,
 * for a map handle whose lookups may be inlined, the address of its pointer table (one i64 per
 * index and CPU: the value's pointer once a lookup made its region, else 0), max_entries, and the
 * CPU stride (max_entries for PERCPU_ARRAY, else 0); table address 0 for every other region.
 */
export const MAP_DESC = PACKET_AREA + PACKET_CAPACITY;
export const MAP_DESC_BYTES = 16;
/**
 * Inline bpf_redirect_map hits (the kernel's __dev_map_lookup_elem: an array index): per region id
 * below TABLE_REGIONS, for a DEVMAP/CPUMAP/XSKMAP handle of at most 65 536 slots, the address of
 * its presence bytes (1 per present slot), max_entries, and the flag bits that send the call to
 * the JS helper (anything outside the action mask: broadcast, bad flags); address 0 otherwise.
 */
export const REDIR_DESC = MAP_DESC + TABLE_REGIONS * MAP_DESC_BYTES;
export const REDIR_DESC_BYTES = 16;
/** `exec` memory (the r1 buffer). */
export const MEMORY_AREA = REDIR_DESC + TABLE_REGIONS * REDIR_DESC_BYTES;

export const PAGE = 65536;
export const BASE_PAGES = Math.ceil(MEMORY_AREA / PAGE);
/** `exec` memory up to this size sits at MEMORY_AREA; the heap starts after it (shared memories). */
export const EXEC_RESERVE = 1 << 20;
export const HEAP_AREA = Math.ceil((MEMORY_AREA + EXEC_RESERVE) / PAGE) * PAGE;
/** A shared memory's maximum (2 GiB: the map memory budget's default, 1 GiB, fits with room). */
export const MAX_PAGES = 32768;
/** Pages a heap allocation grows the memory by at least (growth is a syscall and a remap). */
export const HEAP_GROWTH_PAGES = 16;
