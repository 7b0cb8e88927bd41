// Mounts VNode trees into the webview's DOM. Attributes are set with setAttribute and text with text
// nodes, so data never becomes markup (no innerHTML anywhere); `on*` attributes are refused — events
// are bound by delegation in app.ts through data-action attributes.
import type { VChild } from './vnode';

const SVG_NS = 'http://www.w3.org/2000/svg';

export function toDom(node: VChild, doc: Document = document): Node {
  if (typeof node === 'string') return doc.createTextNode(node);
  const el = node.svg ? doc.createElementNS(SVG_NS, node.tag) : doc.createElement(node.tag);
  for (const [k, val] of Object.entries(node.attrs)) {
    if (val === undefined || val === false || k.startsWith('on')) continue;
    el.setAttribute(k, val === true ? '' : String(val));
  }
  for (const c of node.children) el.appendChild(toDom(c, doc));
  return el;
}

/** Replaces the children of `host` with the tree (a whole panel re-render). */
export function mount(host: Element, node: VChild): void {
  host.replaceChildren(toDom(node, host.ownerDocument));
}
