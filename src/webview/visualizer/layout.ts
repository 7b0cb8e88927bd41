// Automatic layout of the topology graph with ELK's layered algorithm (elkjs: in the page, a worker
// started from a blob:, elkInWorker.ts). Frames flow left to right; unconnected parts (idle veth
// pairs) are packed beside each other so 16+ devices stay legible in a 1400×900 panel.
import type { ELK, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { Graph } from './graphModel';
import { labelPoint, layeredLayout } from './layeredLayout';

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface PlacedNode {
  readonly id: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface PlacedEdge {
  readonly id: string;
  readonly points: readonly Point[];
  readonly label?: Point;
}

export interface Layout {
  /** Which algorithm placed it: ELK, or layeredLayout.ts (graphs over ELK_MAX_NODES). */
  readonly engine: 'elk' | 'layered';
  readonly width: number;
  readonly height: number;
  readonly nodes: ReadonlyMap<string, PlacedNode>;
  readonly edges: ReadonlyMap<string, PlacedEdge>;
}

export const layoutOptions: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.edgeRouting': 'POLYLINE',
  'elk.spacing.nodeNode': '18',
  'elk.spacing.edgeNode': '12',
  'elk.layered.spacing.nodeNodeBetweenLayers': '48',
  'elk.layered.spacing.edgeNodeBetweenLayers': '14',
  // NETWORK_SIMPLEX placed 64 devices 16× slower (5.6 s) for no visible gain; LINEAR_SEGMENTS keeps
  // straight chains (device → entry → target) at a fraction of the cost (bench/visualizer.bench.ts).
  'elk.layered.nodePlacement.strategy': 'LINEAR_SEGMENTS',
  'elk.layered.crossingMinimization.semiInteractive': 'false',
  'elk.separateConnectedComponents': 'true',
  'elk.spacing.componentComponent': '28',
  'elk.aspectRatio': '1.5',
  'elk.padding': '[top=12,left=12,bottom=12,right=12]',
};

export type LayoutDirection = 'RIGHT' | 'DOWN';

/** Frames flow along the longer side of the space the graph gets (a narrow side panel: downwards). */
export function directionFor(width: number, height: number): LayoutDirection {
  return width >= height * 0.9 ? 'RIGHT' : 'DOWN';
}

/**
 * Above this many nodes the graph gets layeredLayout.ts instead of ELK: ELK's first layout of 167
 * nodes in a fresh page took 1.5-3 s (its code cold), a frozen page before anything showed.
 */
export const ELK_MAX_NODES = 80;

/** True when `layoutGraph` hands the graph to ELK (else it gets layeredLayout.ts, synchronously). */
export const wantsElk = (graph: Graph, elk: ELK | undefined): elk is ELK =>
  elk !== undefined && graph.nodes.length <= ELK_MAX_NODES;

/**
 * Edge labels are not given to ELK: center labels become dummy nodes in layers of their own, which
 * doubled the graph's width. They sit on the longest segment of the routed edge instead, and the gap
 * between layers is wide enough for the longest label.
 */
function layerGapOf(graph: Graph, direction: LayoutDirection): number {
  let longest = 40;
  for (const e of graph.edges) longest = Math.max(longest, e.labelWidth);
  return direction === 'RIGHT' ? Math.min(120, longest + 28) : 40;
}

/** layeredLayout.ts's layout of `graph`: linear, synchronous, a few milliseconds at 64 devices. */
export const quickLayout = (graph: Graph, direction: LayoutDirection = 'RIGHT'): Layout =>
  layeredLayout(graph, direction, layerGapOf(graph, direction));

export async function layoutGraph(
  graph: Graph,
  elk: ELK | undefined,
  direction: LayoutDirection = 'RIGHT',
): Promise<Layout> {
  if (!wantsElk(graph, elk)) return quickLayout(graph, direction);
  const known = new Set(graph.nodes.map((n) => n.id));
  const layerGap = layerGapOf(graph, direction);
  const root: ElkNode = {
    id: 'root',
    layoutOptions: {
      ...layoutOptions,
      'elk.direction': direction,
      // Crossing minimization sweeps: thorough on graphs a person reads node by node, fast on big ones.
      'elk.layered.thoroughness': graph.nodes.length > 80 ? '1' : '7',
      'elk.aspectRatio': direction === 'RIGHT' ? '1.5' : '0.6',
      // Labels sit between layers: across a RIGHT layout they need the label's width, DOWN its height.
      'elk.layered.spacing.nodeNodeBetweenLayers': String(layerGap),
    },
    children: graph.nodes.map((n) => ({ id: n.id, width: n.width, height: n.height })),
    edges: graph.edges
      .filter((e) => known.has(e.from) && known.has(e.to))
      .map((e): ElkExtendedEdge => ({ id: e.id, sources: [e.from], targets: [e.to] })),
  };
  const out = await elk.layout(root);
  const nodes = new Map<string, PlacedNode>();
  for (const c of out.children ?? [])
    nodes.set(c.id, { id: c.id, x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0 });
  const edges = new Map<string, PlacedEdge>();
  for (const e of out.edges ?? []) {
    const points: Point[] = [];
    for (const sec of e.sections ?? []) points.push(sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint);
    const label = labelPoint(points, direction);
    edges.set(e.id, { id: e.id, points, ...(label ? { label } : {}) });
  }
  return { engine: 'elk', width: out.width ?? 0, height: out.height ?? 0, nodes, edges };
}
