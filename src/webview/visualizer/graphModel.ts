// The topology graph drawn by the visualizer, derived from the view model: one node per traffic
// source, device, attached program, redirect-map entry, cpumap CPU, AF_XDP socket, stack and drop
// sink; one edge per flow with its frame count. Pure (no DOM), so tests render it from a model.
import { errnoByName } from '../../core/trace/errnos';
import { nodeId, type FlowKind, type VisModel } from '../../protocol/visualizer';

export type GraphNodeKind = 'traffic' | 'device' | 'mapEntry' | 'cpu' | 'xsk' | 'stack' | 'drop';

export interface GraphNode {
  readonly id: string;
  readonly kind: GraphNodeKind;
  readonly title: string;
  readonly lines: readonly string[];
  /** The XDP program attached to a device, drawn as a band inside the device's box; `warn`: a
   *  line in warning colour under it (its redirect-map misses). */
  readonly program?: { readonly name: string; readonly lines: readonly string[]; readonly warn?: string };
  readonly width: number;
  readonly height: number;
  /** What a screen reader says for the node. */
  readonly aria: string;
  /** Drawn as a problem: a drop sink, a device that is down. */
  readonly danger: boolean;
  readonly muted: boolean;
  /** Compared with a capture: an observed count differs from the predicted one. */
  readonly mismatch?: boolean;
  /** Drawn as a warning: the device's program fell back after redirect-map misses. */
  readonly warn?: boolean;
  /** Program/drop nodes: where to open the source. */
  readonly source?: { file: string; line: number };
}

export interface GraphEdge {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly kind: FlowKind;
  readonly label: string;
  readonly frames: number;
  /** Compared with a capture: the frames it saw on this path (the label reads "predicted / observed"). */
  readonly observed?: number;
  readonly mismatch?: boolean;
  readonly errno?: string;
  /** Stroke width, growing with the log of the frame count. */
  readonly weight: number;
  readonly danger: boolean;
  readonly idle: boolean;
  readonly aria: string;
  readonly labelWidth: number;
}

export interface Graph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

// Text metrics: the panel uses the editor's UI font at 12px (titles 13px bold); these widths are
// generous averages so ELK reserves enough room without measuring in a DOM.
const CHAR = 6.8;
const TITLE_CHAR = 7.8;
const PAD = 20;
const LINE = 15;

function box(
  title: string,
  lines: readonly string[],
  band: readonly string[] = [],
): { width: number; height: number } {
  const w = Math.max(
    title.length * TITLE_CHAR,
    ...lines.map((l) => l.length * CHAR),
    ...band.map((l) => l.length * CHAR),
  );
  const bandHeight = band.length ? 8 + band.length * LINE : 0;
  return {
    width: Math.ceil(Math.max(96, w + PAD)),
    height: 26 + lines.length * LINE + 6 + bandHeight,
  };
}

/**
 * "1,234,567", as toLocaleString('en-US') writes an integer — by hand, because the Intl call cost
 * more than the rest of a 64-device graph rebuild while counts stream in (issue 16 item 5).
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = digits.length > 3 ? '' : digits;
  if (digits.length > 3) {
    const head = digits.length % 3 || 3;
    out = digits.slice(0, head);
    for (let i = head; i < digits.length; i += 3) out += ',' + digits.slice(i, i + 3);
  }
  return n < 0 ? '-' + out : out;
}

/** "predicted / observed" when a capture is compared, else the predicted count alone. */
export const formatVersus = (predicted: number, observed: number | undefined): string =>
  observed === undefined ? formatCount(predicted) : `${formatCount(predicted)} / ${formatCount(observed)}`;

function node(
  id: string,
  kind: GraphNodeKind,
  title: string,
  lines: string[],
  aria: string,
  extra: {
    danger?: boolean;
    muted?: boolean;
    mismatch?: boolean;
    warn?: boolean;
    source?: { file: string; line: number };
    program?: { name: string; lines: string[]; warn?: string; measure?: string[] };
    /** Lines the box is sized for instead of `lines` (room for counts still growing). */
    measure?: string[];
  } = {},
): GraphNode {
  return {
    id,
    kind,
    title,
    lines,
    ...(extra.program
      ? {
          program: {
            name: extra.program.name,
            lines: extra.program.lines,
            ...(extra.program.warn !== undefined ? { warn: extra.program.warn } : {}),
          },
        }
      : {}),
    ...box(
      title,
      extra.measure ?? lines,
      extra.program
        ? [
            extra.program.name,
            ...(extra.program.measure ?? extra.program.lines),
            // The warning line is bold: measured a sixth wider.
            ...(extra.program.warn
              ? [extra.program.warn.padEnd(Math.ceil(extra.program.warn.length * 1.17))]
              : []),
          ]
        : [],
    ),
    aria,
    danger: extra.danger ?? false,
    muted: extra.muted ?? false,
    ...(extra.mismatch ? { mismatch: true } : {}),
    ...(extra.warn ? { warn: true } : {}),
    ...(extra.source ? { source: extra.source } : {}),
  };
}

/** `atLeast`: written with every count at least this (to size a box for counts still growing). */
function actionLine(actions: Record<string, number> | undefined, atLeast = 0): string[] {
  if (!actions) return ['no frames'];
  const parts = Object.entries(actions)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([a, n]) => `${a.replace(/^XDP_/, '')} ${formatCount(Math.max(n, atLeast))}`);
  return parts.length ? [parts.slice(0, 3).join(' · ')] : ['no frames'];
}

/** Builds the graph. Nodes that flows mention but the topology lacks get a plain node (never lost). */
export function buildGraph(model: VisModel): Graph {
  const nodes = new Map<string, GraphNode>();
  const add = (n: GraphNode): void => void nodes.set(n.id, n);
  const trafficTotal = model.traffic.reduce((n, t) => n + t.count, 0);

  model.traffic.forEach((t, i) => {
    const where = t.from ? `from ${t.from}` : `rx ${t.rx ?? '?'}`;
    const lines = [
      `${formatCount(t.count)} × ${t.frame}`,
      `burst ${t.burst}${t.cpu !== undefined ? ` · CPU ${t.cpu}` : ''}`,
    ];
    add(
      node(
        nodeId.traffic(i),
        'traffic',
        `traffic #${i + 1}`,
        lines,
        `Traffic ${i + 1} ${where}: ${lines.join(', ')}`,
      ),
    );
  });

  for (const d of model.devices) {
    const c = d.counters;
    const o = model.observed?.devices[d.name];
    // Short lines keep boxes narrow; the peer is the wire edge, "no XDP" the missing program band.
    const counts = (f: (n: number) => number): string =>
      `rx ${formatCount(f(c.rxFrames))} · tx ${formatVersus(f(c.txFrames), o && f(o.txFrames))}${c.drops || o?.drops ? ` · ✕ ${formatVersus(f(c.drops), o && f(o.drops))}` : ''}`;
    const head = `${d.kind === 'veth' ? 'veth' : d.driver} if${d.ifindex} · ${d.up ? 'up' : 'DOWN'} · mtu ${d.mtu}`;
    const lines = [head, counts((n) => n)];
    // Sized for the counts the whole traffic can reach: a long run streaming in keeps its layout.
    const measure = [head, counts((n) => Math.max(n, trafficTotal))];
    const mismatch = !!o && (o.txFrames !== c.txFrames || o.drops !== c.drops);
    // The attached program is drawn inside its device (one box per attachment keeps the chain
    // traffic → device → map entry → target short enough to read at 1400 px).
    let program: { name: string; lines: string[]; warn?: string; measure?: string[] } | undefined;
    let source: { file: string; line: number } | undefined;
    if (d.xdp) {
      const prog = model.programs.find((p) => p.name === d.xdp?.program);
      const mode = d.xdp.mode === 'generic' ? 'skb' : d.xdp.mode === 'offload' ? 'hw' : 'drv';
      const chain = d.xdp.chain;
      program = chain
        ? {
            // libxdp's dispatcher: its programs stacked in run order, each with its priority and
            // returns, then the dispatcher's verdicts (what the device did with the frames).
            name: `libxdp dispatcher ${mode}`,
            lines: [
              ...chain.map(
                (k, i) =>
                  `${i + 1}. ${k.program}() (${k.priority})${i < chain.length - 1 ? ' →' : ''} ${actionLine(k.actions)[0] ?? ''}`,
              ),
              `verdict: ${actionLine(model.summary.actions[d.name])[0] ?? ''}`,
            ],
          }
        : {
            name: `${d.xdp.program}() ${mode}`,
            lines: actionLine(model.summary.actions[d.name]),
            // Sized like the device's counts: a long run's verdict counts grow without a relayout.
            measure: actionLine(model.summary.actions[d.name], trafficTotal),
          };
      if (prog?.file && prog.line) source = { file: prog.file, line: prog.line };
    }
    // Redirect-map misses of its program: a warning line in the band, the explanations for screen readers.
    const missed = model.misses?.rows.filter((r) => r.device === d.name) ?? [];
    const missedFrames = missed.reduce((n, r) => n + r.count, 0);
    if (program && missedFrames)
      program = {
        ...program,
        warn: `⚠ ${formatCount(missedFrames)} redirect-map miss${missedFrames === 1 ? '' : 'es'}`,
      };
    const aria =
      `Device ${d.name}${d.peer ? `, veth peer ${d.peer}` : ''}, ${lines.join(', ')}` +
      (program && d.xdp
        ? d.xdp.chain
          ? `; libxdp dispatcher in ${d.xdp.mode} mode running ${d.xdp.chain.map((k) => k.program).join(', ')} in that order: ${program.lines.join(', ')}`
          : `; XDP program ${d.xdp.program} in ${d.xdp.mode} mode: ${program.lines.join(', ')}`
        : '; no XDP program') +
      missed.map((r) => `; ${formatCount(r.count)} frames: ${r.text}`).join('');
    add(
      node(nodeId.device(d.name), 'device', d.name, lines, aria, {
        danger: !d.up,
        muted: c.rxFrames === 0 && c.txFrames === 0 && !o?.txFrames && !o?.drops,
        mismatch,
        warn: missedFrames > 0,
        measure,
        ...(program ? { program } : {}),
        ...(source ? { source } : {}),
      }),
    );
  }

  for (const m of model.maps) {
    for (const e of m.entries) {
      const t = e.target;
      const target =
        t.kind === 'device'
          ? `→ ${t.device}`
          : t.kind === 'cpu'
            ? `→ CPU ${t.cpu} · q ${t.qsize}${t.program ? ` · ${t.program}()` : ''}`
            : t.kind === 'xsk'
              ? `→ xsk ${t.xsk}`
              : t.text;
      const lines = [`${m.type} ${target}`];
      if (e.egressProgram) lines.push(`egress ${e.egressProgram}()`);
      add(
        node(
          nodeId.mapEntry(m.name, e.key),
          'mapEntry',
          `${m.name}[${e.key}]`,
          lines,
          `Map ${m.name} key ${e.key}: ${lines.join(', ')}`,
        ),
      );
    }
  }

  for (const x of model.xsks) {
    const lines = [`${x.device} q${x.queue} · ring ${x.rxRing}`, `rx ${formatCount(x.received)}`];
    add(
      node(
        nodeId.xsk(x.name),
        'xsk',
        `AF_XDP ${x.name}`,
        lines,
        `AF_XDP socket ${x.name}: ${lines.join(', ')}`,
      ),
    );
  }

  // A program's flows start and end at its device's box; the device→program hop disappears.
  const fold = (id: string): string => (id.startsWith('prog:') ? nodeId.device(id.slice(5)) : id);
  const foldAll = (list: VisModel['flows']): VisModel['flows'] =>
    list.map((f) => ({ ...f, from: fold(f.from), to: fold(f.to) })).filter((f) => f.from !== f.to);
  const flows = foldAll(model.flows);
  const observedFlows = foldAll(model.observed?.flows ?? []);

  // Sinks and CPUs exist when a flow reaches them (a path only the capture saw too).
  for (const f of [...flows, ...observedFlows])
    for (const id of [f.from, f.to]) if (!nodes.has(id)) add(implicitNode(id, model));

  // Parallel flows between the same nodes of the same kind and errno are merged (one arrow, summed).
  type Merged = { from: string; to: string; kind: FlowKind; label: string; frames: number; errno?: string };
  const mergeFlows = (list: VisModel['flows']): Map<string, Merged> => {
    const merged = new Map<string, Merged>();
    for (const f of list) {
      const key = `${f.from}|${f.to}|${f.kind}|${f.label}|${f.errno ?? ''}`;
      const m = merged.get(key);
      if (m) m.frames += f.frames;
      else merged.set(key, { ...f });
    }
    return merged;
  };
  const merged = mergeFlows(flows);
  // Compared with a capture: each edge gets what the capture saw on it; paths only the capture saw
  // become edges predicted at 0.
  const observed = model.observed ? mergeFlows(observedFlows) : undefined;
  for (const [key, f] of observed ?? []) if (!merged.has(key)) merged.set(key, { ...f, frames: 0 });
  let i = 0;
  const edges: GraphEdge[] = [...merged].map(([key, f]) => {
    const seen = observed?.get(key)?.frames;
    const danger = f.kind === 'drop' || f.errno !== undefined;
    const mismatch = seen !== undefined && seen !== f.frames;
    // The count is the label (the issue's "edges labelled by frame counts"); a drop's errno is on
    // its red sink node and in the edge's screen-reader label.
    const label = f.frames || seen ? formatVersus(f.frames, seen) : '';
    const why = f.errno ? `, ${errnoByName(f.errno)?.meaning ?? f.errno}` : '';
    const counted =
      seen === undefined
        ? `${formatCount(f.frames)} frames`
        : `${formatCount(f.frames)} frames predicted, ${formatCount(seen)} observed${mismatch ? ' (mismatch)' : ''}`;
    return {
      id: `e${i++}`,
      from: f.from,
      to: f.to,
      kind: f.kind,
      label,
      frames: f.frames,
      ...(seen !== undefined ? { observed: seen, mismatch } : {}),
      ...(f.errno ? { errno: f.errno } : {}),
      weight: Math.max(f.frames, seen ?? 0) ? strokeWeight(Math.max(f.frames, seen ?? 0)) : 1,
      danger,
      idle: f.frames === 0 && !seen,
      aria: `${f.label} from ${nodes.get(f.from)?.title ?? f.from} to ${nodes.get(f.to)?.title ?? f.to}: ${counted}${f.errno ? ` dropped with ${f.errno}` : ''}${why}`,
      labelWidth: Math.ceil(label.length * CHAR + 8),
    };
  });
  return { nodes: [...nodes.values()], edges };
}

/**
 * An edge's stroke width for its frame count, in steps of half a pixel: while a long run's counts
 * stream in, a width drawn to a tenth changed on every edge at every update (600 paths of a 64-device
 * graph re-laid out and repainted, with their arrowheads, 4 times a second); in half-pixel steps it
 * changes once per doubling or so.
 */
function strokeWeight(frames: number): number {
  return Math.round(2 * Math.min(9, 1.5 + 1.6 * Math.log10(1 + frames))) / 2;
}

function implicitNode(id: string, model: VisModel): GraphNode {
  const [kind, ...rest] = id.split(':');
  const arg = rest.join(':');
  switch (kind) {
    case 'stack':
      return node(id, 'stack', `stack of ${arg}`, [], `Network stack of ${arg} (netif_receive_skb)`);
    case 'cpu': {
      const dropped = model.summary.cpumap.kthread.drops;
      return node(
        id,
        'cpu',
        `CPU ${arg} kthread`,
        ['ring → skb → GRO'],
        `cpumap kthread on CPU ${arg}${dropped ? `, ${dropped} dropped` : ''}`,
      );
    }
    case 'drop': {
      const sep = arg.indexOf(':');
      const device = sep < 0 ? arg : arg.slice(0, sep);
      const reason = sep < 0 ? 'drop' : arg.slice(sep + 1);
      const drop = model.drops.find((d) => d.device === device && (d.errno ?? d.reason) === reason);
      const info = drop?.errno ? errnoByName(drop.errno) : undefined;
      // Compared with a capture: what it saw reach this sink (absent when it cannot see this drop).
      const into = model.observed?.flows.filter((f) => f.to === id);
      const seen = into?.length ? into.reduce((n, f) => n + f.frames, 0) : undefined;
      const predicted = drop?.count ?? 0;
      const lines = [
        `at ${device}${drop || seen !== undefined ? ` · ${formatVersus(predicted, seen)} frames` : ''}`,
      ];
      const aria = `Drop ${reason} at ${device}: ${info ? info.meaning : (drop?.reason ?? 'dropped')}, ${lines.join(', ')}${seen !== undefined ? ' (predicted / observed)' : ''}`;
      return node(id, 'drop', `✕ ${reason}`, lines, aria, {
        danger: true,
        mismatch: seen !== undefined && seen !== predicted,
        ...(drop?.source ? { source: drop.source } : {}),
      });
    }
    case 'dev':
      // A device the capture saw that the model does not have.
      return node(id, 'device', arg, ['only in the capture'], `Device ${arg}, seen only by the capture`);
    default:
      return node(id, 'device', id, [], id);
  }
}
