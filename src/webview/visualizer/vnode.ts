// A tiny virtual node tree: every view of the visualizer is a pure function state → VNode, so the
// same tree is mounted in the webview (dom.ts), serialized to an SVG file for export, and inspected
// by unit tests outside a browser. Text is data, never markup: the serializer escapes everything.

export type AttrValue = string | number | boolean | undefined;

export interface VNode {
  readonly tag: string;
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly children: readonly VChild[];
  /** SVG elements are created in the SVG namespace. */
  readonly svg: boolean;
}

export type VChild = VNode | string;
type ChildArg = VChild | number | false | null | undefined | readonly ChildArg[];

function flatten(args: readonly ChildArg[], out: VChild[]): VChild[] {
  for (const a of args) {
    if (a === false || a === null || a === undefined) continue;
    if (Array.isArray(a)) flatten(a as readonly ChildArg[], out);
    else out.push(typeof a === 'number' ? String(a) : (a as VChild));
  }
  return out;
}

/** An HTML element. */
export function h(tag: string, attrs: Record<string, AttrValue> = {}, ...children: ChildArg[]): VNode {
  return { tag, attrs, children: flatten(children, []), svg: false };
}

/** An SVG element. */
export function s(tag: string, attrs: Record<string, AttrValue> = {}, ...children: ChildArg[]): VNode {
  return { tag, attrs, children: flatten(children, []), svg: true };
}

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => escapes[c] ?? c);

const isName = (n: string): boolean => /^[A-Za-z_][A-Za-z0-9_.:-]*$/.test(n);

/** Serializes a tree as XML (for the SVG export); event-ish attributes are never emitted. */
export function toXml(node: VChild): string {
  if (typeof node === 'string') return escapeXml(node);
  if (!isName(node.tag)) throw new Error(`invalid element name ${JSON.stringify(node.tag)}`);
  let out = `<${node.tag}`;
  for (const [k, val] of Object.entries(node.attrs)) {
    if (val === undefined || val === false || !isName(k) || k.startsWith('on')) continue;
    out += ` ${k}="${escapeXml(val === true ? '' : String(val))}"`;
  }
  if (!node.children.length) return out + '/>';
  return out + '>' + node.children.map(toXml).join('') + `</${node.tag}>`;
}

/** All text under a node (what a screen reader or a test reads). */
export function textOf(node: VChild): string {
  return typeof node === 'string' ? node : node.children.map(textOf).join('');
}

/** Depth-first search for nodes matching `pred`. */
export function findAll(node: VChild, pred: (n: VNode) => boolean, out: VNode[] = []): VNode[] {
  if (typeof node === 'string') return out;
  if (pred(node)) out.push(node);
  for (const c of node.children) findAll(c, pred, out);
  return out;
}
