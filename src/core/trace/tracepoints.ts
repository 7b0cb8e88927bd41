// The one table of the xdp:* tracepoints of Linux 6.18 (fields and the text `perf script` prints for
// each), the typed event union, and the formatter of that text. Source: the kernel's
// include/trace/events/xdp.h as exposed in tracefs (../shared/notes/tracepoint-formats-6.18.txt) and
// redirect-semantics.md §6. The parser (perfScriptParse.ts) is derived from the same table, so the
// simulator's `--events` file and a real `perf script` capture are read by the same code.

/** XDP verdicts in `enum xdp_action` order; `act` fields print through this table (__print_symbolic). */
export const xdpActionNames = ['ABORTED', 'DROP', 'PASS', 'TX', 'REDIRECT'] as const;
export type XdpActionName = (typeof xdpActionNames)[number];

/** `mem_type` of mem_connect/mem_disconnect (enum xdp_mem_type). */
export const xdpMemTypeNames = ['PAGE_SHARED', 'PAGE_ORDER0', 'PAGE_POOL', 'XSK_BUFF_POOL'] as const;

/** How one field is printed by the event's `print fmt`. */
export type FieldPrint =
  | 'd' // %d: signed decimal
  | 'u' // %u: unsigned decimal
  | 'act' // __print_symbolic(act, xdpActionNames): an unknown value prints as 0x<hex>
  | 'memType' // __print_symbolic(mem_type, xdpMemTypeNames)
  | 'p' // %p: a kernel pointer, kept as the printed text
  | 's'; // %s: the rest of the line

/** One field of the binary record (after the common header), as in the tracefs format file. */
export interface TracepointField {
  readonly name: string;
  /** The C type of the format file, e.g. 'int', 'u32', 'unsigned int', 'const void *'. */
  readonly type: string;
  readonly offset: number;
  readonly size: number;
  readonly signed: boolean;
}

/** One `label=value` item of the printed text (in print order) and the field it shows. */
export interface PrintItem {
  readonly label: string;
  readonly field: string;
  readonly print: FieldPrint;
}

export interface TracepointInfo {
  /** Full name as perf and bpftrace spell it: 'xdp:xdp_redirect'. */
  readonly name: XdpTracepointName;
  /** Event name under events/xdp/ in tracefs. */
  readonly event: string;
  /** Record fields after the common 8-byte header. */
  readonly fields: readonly TracepointField[];
  /** Literal word(s) printed before the items ('ndo_xdp_xmit', 'enqueue', 'kthread'), or ''. */
  readonly prefix: string;
  readonly items: readonly PrintItem[];
  /** When it fires (redirect-semantics.md §6), for hovers and the results panel. */
  readonly fires: string;
}

export type XdpTracepointName =
  | 'xdp:xdp_exception'
  | 'xdp:xdp_bulk_tx'
  | 'xdp:xdp_redirect'
  | 'xdp:xdp_redirect_err'
  | 'xdp:xdp_cpumap_enqueue'
  | 'xdp:xdp_cpumap_kthread'
  | 'xdp:xdp_devmap_xmit'
  | 'xdp:mem_connect'
  | 'xdp:mem_disconnect'
  | 'xdp:bpf_xdp_link_attach_failed';

const f = (name: string, type: string, offset: number, size: number, signed: boolean): TracepointField => ({
  name,
  type,
  offset,
  size,
  signed,
});
const p = (label: string, field: string, print: FieldPrint): PrintItem => ({ label, field, print });

// The redirect pair shares one layout (DECLARE_EVENT_CLASS xdp_redirect_template).
const redirectFields = [
  f('prog_id', 'int', 8, 4, true),
  f('act', 'u32', 12, 4, false),
  f('ifindex', 'int', 16, 4, true),
  f('err', 'int', 20, 4, true),
  f('to_ifindex', 'int', 24, 4, true),
  f('map_id', 'u32', 28, 4, false),
  f('map_index', 'int', 32, 4, true),
];
// map_id is u32 but printed with %d (redirect-semantics.md §6: 2147483647 for ifindex redirects).
const redirectItems = [
  p('prog_id', 'prog_id', 'd'),
  p('action', 'act', 'act'),
  p('ifindex', 'ifindex', 'd'),
  p('to_ifindex', 'to_ifindex', 'd'),
  p('err', 'err', 'd'),
  p('map_id', 'map_id', 'd'),
  p('map_index', 'map_index', 'd'),
];

/** The table. Order: the redirect path first, as the results panel lists them. */
export const tracepoints: readonly TracepointInfo[] = [
  {
    name: 'xdp:xdp_redirect',
    event: 'xdp_redirect',
    fields: redirectFields,
    prefix: '',
    items: redirectItems,
    fires: 'every successful redirect (step 2 of XDP_REDIRECT)',
  },
  {
    name: 'xdp:xdp_redirect_err',
    event: 'xdp_redirect_err',
    fields: redirectFields,
    prefix: '',
    items: redirectItems,
    fires: 'every failed redirect; the frame is dropped, err says why',
  },
  {
    name: 'xdp:xdp_exception',
    event: 'xdp_exception',
    fields: [
      f('prog_id', 'int', 8, 4, true),
      f('act', 'u32', 12, 4, false),
      f('ifindex', 'int', 16, 4, true),
    ],
    prefix: '',
    items: [p('prog_id', 'prog_id', 'd'), p('action', 'act', 'act'), p('ifindex', 'ifindex', 'd')],
    fires: 'XDP_ABORTED or an invalid verdict; egress programs returning ABORTED/TX/REDIRECT; failed XDP_TX',
  },
  {
    name: 'xdp:xdp_devmap_xmit',
    event: 'xdp_devmap_xmit',
    fields: [
      f('from_ifindex', 'int', 8, 4, true),
      f('act', 'u32', 12, 4, false),
      f('to_ifindex', 'int', 16, 4, true),
      f('drops', 'int', 20, 4, true),
      f('sent', 'int', 24, 4, true),
      f('err', 'int', 28, 4, true),
    ],
    prefix: 'ndo_xdp_xmit',
    items: [
      p('from_ifindex', 'from_ifindex', 'd'),
      p('to_ifindex', 'to_ifindex', 'd'),
      p('action', 'act', 'act'),
      p('sent', 'sent', 'd'),
      p('drops', 'drops', 'd'),
      p('err', 'err', 'd'),
    ],
    fires: 'each transmit of a device bulk queue (16 frames, or at flush)',
  },
  {
    name: 'xdp:xdp_cpumap_enqueue',
    event: 'xdp_cpumap_enqueue',
    fields: [
      f('map_id', 'int', 8, 4, true),
      f('act', 'u32', 12, 4, false),
      f('cpu', 'int', 16, 4, true),
      f('drops', 'unsigned int', 20, 4, false),
      f('processed', 'unsigned int', 24, 4, false),
      f('to_cpu', 'int', 28, 4, true),
    ],
    prefix: 'enqueue',
    items: [
      p('cpu', 'cpu', 'd'),
      p('map_id', 'map_id', 'd'),
      p('action', 'act', 'act'),
      p('processed', 'processed', 'u'),
      p('drops', 'drops', 'u'),
      p('to_cpu', 'to_cpu', 'd'),
    ],
    fires: 'each push of a cpumap bulk queue (8 frames) into the target CPU ring',
  },
  {
    name: 'xdp:xdp_cpumap_kthread',
    event: 'xdp_cpumap_kthread',
    fields: [
      f('map_id', 'int', 8, 4, true),
      f('act', 'u32', 12, 4, false),
      f('cpu', 'int', 16, 4, true),
      f('drops', 'unsigned int', 20, 4, false),
      f('processed', 'unsigned int', 24, 4, false),
      f('sched', 'int', 28, 4, true),
      f('xdp_pass', 'unsigned int', 32, 4, false),
      f('xdp_drop', 'unsigned int', 36, 4, false),
      f('xdp_redirect', 'unsigned int', 40, 4, false),
    ],
    prefix: 'kthread',
    items: [
      p('cpu', 'cpu', 'd'),
      p('map_id', 'map_id', 'd'),
      p('action', 'act', 'act'),
      p('processed', 'processed', 'u'),
      p('drops', 'drops', 'u'),
      p('sched', 'sched', 'd'),
      p('xdp_pass', 'xdp_pass', 'u'),
      p('xdp_drop', 'xdp_drop', 'u'),
      p('xdp_redirect', 'xdp_redirect', 'u'),
    ],
    fires: 'each loop iteration of a cpumap kthread (up to 8 frames)',
  },
  {
    name: 'xdp:xdp_bulk_tx',
    event: 'xdp_bulk_tx',
    fields: [
      f('ifindex', 'int', 8, 4, true),
      f('act', 'u32', 12, 4, false),
      f('drops', 'int', 16, 4, true),
      f('sent', 'int', 20, 4, true),
      f('err', 'int', 24, 4, true),
    ],
    prefix: '',
    items: [
      p('ifindex', 'ifindex', 'd'),
      p('action', 'act', 'act'),
      p('sent', 'sent', 'd'),
      p('drops', 'drops', 'd'),
      p('err', 'err', 'd'),
    ],
    fires: 'each XDP_TX bulk transmit of a driver (veth: 16 frames)',
  },
  {
    name: 'xdp:mem_connect',
    event: 'mem_connect',
    fields: [
      f('xa', 'const struct xdp_mem_allocator *', 8, 8, false),
      f('mem_id', 'u32', 16, 4, false),
      f('mem_type', 'u32', 20, 4, false),
      f('allocator', 'const void *', 24, 8, false),
      f('rxq', 'const struct xdp_rxq_info *', 32, 8, false),
      f('ifindex', 'int', 40, 4, true),
    ],
    prefix: '',
    items: [
      p('mem_id', 'mem_id', 'd'),
      p('mem_type', 'mem_type', 'memType'),
      p('allocator', 'allocator', 'p'),
      p('ifindex', 'ifindex', 'd'),
    ],
    fires: 'a driver registers an rxq memory model with an allocator (page_pool, XSK pool)',
  },
  {
    name: 'xdp:mem_disconnect',
    event: 'mem_disconnect',
    fields: [
      f('xa', 'const struct xdp_mem_allocator *', 8, 8, false),
      f('mem_id', 'u32', 16, 4, false),
      f('mem_type', 'u32', 20, 4, false),
      f('allocator', 'const void *', 24, 8, false),
    ],
    prefix: '',
    items: [
      p('mem_id', 'mem_id', 'd'),
      p('mem_type', 'mem_type', 'memType'),
      p('allocator', 'allocator', 'p'),
    ],
    fires: 'an allocator-backed memory model is released',
  },
  {
    name: 'xdp:bpf_xdp_link_attach_failed',
    event: 'bpf_xdp_link_attach_failed',
    fields: [f('msg', '__data_loc char[]', 8, 4, false)],
    prefix: '',
    items: [p('errmsg', 'msg', 's')],
    fires: 'an XDP bpf_link attach fails (msg = the extack text)',
  },
];

/** Tracepoints that no longer exist (removed around 6.16): a capture must never name them. */
export const removedTracepoints: readonly string[] = ['xdp:xdp_redirect_map', 'xdp:xdp_redirect_map_err'];

const byName = new Map<string, TracepointInfo>(tracepoints.map((t) => [t.name, t]));

export function tracepointInfo(name: string): TracepointInfo | undefined {
  return byName.get(name);
}

export function isXdpTracepointName(name: string): name is XdpTracepointName {
  return byName.has(name);
}

// ---- the typed events ------------------------------------------------------------------------

interface RedirectFields {
  prog_id: number;
  act: number;
  ifindex: number;
  err: number;
  to_ifindex: number;
  map_id: number;
  map_index: number;
}

export type XdpEvent =
  | ({ name: 'xdp:xdp_redirect' } & RedirectFields)
  | ({ name: 'xdp:xdp_redirect_err' } & RedirectFields)
  | { name: 'xdp:xdp_exception'; prog_id: number; act: number; ifindex: number }
  | {
      name: 'xdp:xdp_devmap_xmit';
      from_ifindex: number;
      act: number;
      to_ifindex: number;
      drops: number;
      sent: number;
      err: number;
    }
  | {
      name: 'xdp:xdp_cpumap_enqueue';
      map_id: number;
      act: number;
      cpu: number;
      drops: number;
      processed: number;
      to_cpu: number;
    }
  | {
      name: 'xdp:xdp_cpumap_kthread';
      map_id: number;
      act: number;
      cpu: number;
      drops: number;
      processed: number;
      sched: number;
      xdp_pass: number;
      xdp_drop: number;
      xdp_redirect: number;
    }
  | { name: 'xdp:xdp_bulk_tx'; ifindex: number; act: number; drops: number; sent: number; err: number }
  | { name: 'xdp:mem_connect'; mem_id: number; mem_type: number; allocator: string; ifindex: number }
  | { name: 'xdp:mem_disconnect'; mem_id: number; mem_type: number; allocator: string }
  | { name: 'xdp:bpf_xdp_link_attach_failed'; msg: string };

export type XdpEventOf<N extends XdpTracepointName> = Extract<XdpEvent, { name: N }>;

// ---- formatting --------------------------------------------------------------------------------

function symbolic(table: readonly string[], v: number): string {
  return table[v] ?? `0x${(v >>> 0).toString(16)}`;
}

function formatValue(print: FieldPrint, v: unknown): string {
  switch (print) {
    case 'd':
      return String((v as number) | 0);
    case 'u':
      return String((v as number) >>> 0);
    case 'act':
      return symbolic(xdpActionNames, v as number);
    case 'memType':
      return symbolic(xdpMemTypeNames, v as number);
    case 'p':
    case 's':
      return String(v);
  }
}

/** The text after `xdp:NAME: ` exactly as `perf script` prints it (the event's print fmt). */
export function formatEventFields(event: XdpEvent): string {
  const info = byName.get(event.name) as TracepointInfo;
  const rec = event as unknown as Record<string, unknown>;
  let out = info.prefix;
  for (const item of info.items) {
    if (out.length) out += ' ';
    out += `${item.label}=${formatValue(item.print, rec[item.field])}`;
  }
  return out;
}

/** One line of the `--events` file form: `xdp:xdp_redirect: prog_id=1 action=REDIRECT …`. */
export function formatEvent(event: XdpEvent): string {
  return `${event.name}: ${formatEventFields(event)}`;
}
