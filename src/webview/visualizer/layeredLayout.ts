// A small layered (Sugiyama-style) layout for graphs too big for ELK to lay out while the user waits:
// ELK's first run in a fresh page spends 1.5-3 s JIT-compiling its GWT code for 64 devices (issue 16
// goal 5: first render of a 64-device, 100k-event snapshot under 1 s). Same frame of reference as
// ELK's layered algorithm: cycles broken by DFS, longest-path layers, barycenter ordering sweeps,
// nodes placed near their neighbours, connected components packed in rows. Linear in the graph.
import type { Graph } from './graphModel';
import type { Layout, LayoutDirection, PlacedEdge, PlacedNode, Point } from './layout';

const NODE_GAP = 18;
const COMPONENT_GAP = 28;
const PAD = 12;
const SWEEPS = 6;

interface Box {
  id: string;
  /** Extent along the flow (width for RIGHT) and across it. */
  along: number;
  across: number;
}

interface Placed {
  /** Position of the box's corner in flow coordinates (a: along the flow, c: across it). */
  a: number;
  c: number;
}

/** The layout of `graph` with frames flowing `direction`; `layerGap` is the room between layers. */
export function layeredLayout(graph: Graph, direction: LayoutDirection, layerGap: number): Layout {
  const right = direction === 'RIGHT';
  const boxes = new Map<string, Box>();
  for (const n of graph.nodes)
    boxes.set(n.id, {
      id: n.id,
      along: right ? n.width : n.height,
      across: right ? n.height : n.width,
    });
  const edges = graph.edges.filter((e) => boxes.has(e.from) && boxes.has(e.to) && e.from !== e.to);
  const out = new Map<string, string[]>();
  const into = new Map<string, string[]>();
  for (const id of boxes.keys()) {
    out.set(id, []);
    into.set(id, []);
  }
  for (const e of edges) {
    out.get(e.from)?.push(e.to);
    into.get(e.to)?.push(e.from);
  }

  // Connected components, in the order their first node appears.
  const component = new Map<string, number>();
  const members: string[][] = [];
  for (const id of boxes.keys()) {
    if (component.has(id)) continue;
    const list: string[] = [];
    const stack = [id];
    component.set(id, members.length);
    while (stack.length) {
      const v = stack.pop() as string;
      list.push(v);
      for (const w of [...(out.get(v) ?? []), ...(into.get(v) ?? [])])
        if (!component.has(w)) {
          component.set(w, members.length);
          stack.push(w);
        }
    }
    members.push(list);
  }

  const placed = new Map<string, Placed>();
  const extents: { ids: string[]; along: number; across: number }[] = [];
  for (const ids of members) extents.push(layoutComponent(ids, boxes, out, layerGap, placed));

  // Components in rows (ELK's aspect ratio 1.5 across a RIGHT layout), biggest first.
  const order = extents.map((_, i) => i).sort((x, y) => area(extents[y]) - area(extents[x]));
  const total = extents.reduce((s, e) => s + (e.along + COMPONENT_GAP) * (e.across + COMPONENT_GAP), 0);
  const aspect = right ? 1.5 : 0.6;
  const rowWidth = Math.max(...extents.map((e) => (right ? e.along : e.across)), Math.sqrt(total * aspect));
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  let width = 0;
  for (const i of order) {
    const e = extents[i] as (typeof extents)[number];
    const w = right ? e.along : e.across;
    const h = right ? e.across : e.along;
    if (x > 0 && x + w > rowWidth) {
      x = 0;
      y += rowHeight + COMPONENT_GAP;
      rowHeight = 0;
    }
    for (const id of e.ids) {
      const p = placed.get(id) as Placed;
      placed.set(id, right ? { a: p.a + x, c: p.c + y } : { a: p.a + y, c: p.c + x });
    }
    x += w + COMPONENT_GAP;
    width = Math.max(width, x - COMPONENT_GAP);
    rowHeight = Math.max(rowHeight, h);
  }
  const height = y + rowHeight;

  const nodes = new Map<string, PlacedNode>();
  for (const [id, p] of placed) {
    const b = boxes.get(id) as Box;
    nodes.set(
      id,
      right
        ? { id, x: PAD + p.a, y: PAD + p.c, width: b.along, height: b.across }
        : { id, x: PAD + p.c, y: PAD + p.a, width: b.across, height: b.along },
    );
  }
  const placedEdges = new Map<string, PlacedEdge>();
  for (const e of edges) {
    const s = nodes.get(e.from) as PlacedNode;
    const t = nodes.get(e.to) as PlacedNode;
    // From the source's outgoing side to the target's incoming side (a back edge runs backwards).
    const points: Point[] = right
      ? [
          { x: s.x + s.width, y: s.y + s.height / 2 },
          { x: t.x, y: t.y + t.height / 2 },
        ]
      : [
          { x: s.x + s.width / 2, y: s.y + s.height },
          { x: t.x + t.width / 2, y: t.y },
        ];
    const label = labelPoint(points, direction);
    placedEdges.set(e.id, { id: e.id, points, ...(label ? { label } : {}) });
  }
  return { engine: 'layered', width: width + 2 * PAD, height: height + 2 * PAD, nodes, edges: placedEdges };
}

const area = (e: { along: number; across: number } | undefined): number => (e ? e.along * e.across : 0);

/** Lays out one connected component at the origin; returns its ids and extent. */
function layoutComponent(
  ids: readonly string[],
  boxes: ReadonlyMap<string, Box>,
  out: ReadonlyMap<string, readonly string[]>,
  layerGap: number,
  placed: Map<string, Placed>,
): { ids: string[]; along: number; across: number } {
  const inComponent = new Set(ids);
  // 1. Break cycles: edges that close a cycle in a DFS (from sources first) are left out of layering.
  const state = new Map<string, 1 | 2>();
  const forward = new Map<string, string[]>();
  const hasIn = new Set<string>();
  for (const v of ids) for (const w of out.get(v) ?? []) if (inComponent.has(w)) hasIn.add(w);
  const roots = [...ids.filter((v) => !hasIn.has(v)), ...ids];
  for (const root of roots) {
    if (state.has(root)) continue;
    const stack: { v: string; i: number }[] = [{ v: root, i: 0 }];
    state.set(root, 1);
    forward.set(root, []);
    while (stack.length) {
      const top = stack[stack.length - 1] as { v: string; i: number };
      const next = (out.get(top.v) ?? [])[top.i++];
      if (next === undefined) {
        state.set(top.v, 2);
        stack.pop();
        continue;
      }
      if (!inComponent.has(next) || state.get(next) === 1) continue; // a back edge
      (forward.get(top.v) as string[]).push(next);
      if (!state.has(next)) {
        state.set(next, 1);
        forward.set(next, []);
        stack.push({ v: next, i: 0 });
      }
    }
  }
  // 2. Longest-path layers over the acyclic edges (Kahn's order).
  const indeg = new Map<string, number>(ids.map((v) => [v, 0]));
  for (const v of ids) for (const w of forward.get(v) ?? []) indeg.set(w, (indeg.get(w) ?? 0) + 1);
  const layerOf = new Map<string, number>(ids.map((v) => [v, 0]));
  const queue = ids.filter((v) => indeg.get(v) === 0);
  for (let qi = 0; qi < queue.length; qi++) {
    const v = queue[qi] as string;
    for (const w of forward.get(v) ?? []) {
      layerOf.set(w, Math.max(layerOf.get(w) ?? 0, (layerOf.get(v) ?? 0) + 1));
      const d = (indeg.get(w) ?? 0) - 1;
      indeg.set(w, d);
      if (d === 0) queue.push(w);
    }
  }
  const layers: string[][] = [];
  for (const v of ids) {
    const l = layerOf.get(v) ?? 0;
    (layers[l] ??= []).push(v);
  }
  // Neighbours in any other layer (long edges pull too), for the barycenters.
  const nbrs = new Map<string, string[]>(ids.map((v) => [v, []]));
  for (const v of ids)
    for (const w of forward.get(v) ?? []) {
      nbrs.get(v)?.push(w);
      nbrs.get(w)?.push(v);
    }
  // 3. Order each layer by the barycenter of its neighbours' positions, sweeping both ways.
  const pos = new Map<string, number>();
  const number = (): void => layers.forEach((l) => l.forEach((v, i) => pos.set(v, i)));
  number();
  for (let s = 0; s < SWEEPS; s++) {
    const down = s % 2 === 0;
    for (let k = 0; k < layers.length; k++) {
      const li = down ? k : layers.length - 1 - k;
      const layer = layers[li] as string[];
      const ref = down ? li - 1 : li + 1;
      const bary = new Map<string, number>();
      for (const v of layer) {
        const ps = (nbrs.get(v) ?? [])
          .filter((w) => (down ? (layerOf.get(w) ?? 0) <= ref : (layerOf.get(w) ?? 0) >= ref))
          .map((w) => pos.get(w) as number);
        bary.set(v, ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : (pos.get(v) as number));
      }
      layer.sort((a, b) => (bary.get(a) as number) - (bary.get(b) as number));
      layer.forEach((v, i) => pos.set(v, i));
    }
  }
  // 4. Coordinates: layers along the flow; across it, each node near its placed neighbours' centre.
  let a = 0;
  const centre = new Map<string, number>();
  let across = 0;
  for (const layer of layers) {
    const thick = Math.max(0, ...layer.map((v) => (boxes.get(v) as Box).along));
    let c = 0;
    for (const v of layer) {
      const b = boxes.get(v) as Box;
      const near = (nbrs.get(v) ?? []).filter((w) => centre.has(w)).map((w) => centre.get(w) as number);
      const want = near.length ? near.reduce((x, y) => x + y, 0) / near.length - b.across / 2 : c;
      const at = Math.max(c, want);
      placed.set(v, { a: a + (thick - b.along) / 2, c: at });
      centre.set(v, at + b.across / 2);
      c = at + b.across + NODE_GAP;
    }
    across = Math.max(across, c - NODE_GAP);
    a += thick + layerGap;
  }
  return { ids: [...ids], along: Math.max(0, a - layerGap), across };
}

/** The middle of the longest segment, preferring ones along the flow (where a label has room). */
export function labelPoint(
  points: readonly Point[],
  direction: LayoutDirection = 'RIGHT',
): Point | undefined {
  let best: Point | undefined;
  let bestScore = -1;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as Point;
    const b = points[i] as Point;
    const dx = Math.abs(b.x - a.x);
    const dy = Math.abs(b.y - a.y);
    const score = direction === 'RIGHT' ? dx * 2 + dy : dy * 2 + dx;
    if (score > bestScore) {
      bestScore = score;
      best = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    }
  }
  return best;
}
