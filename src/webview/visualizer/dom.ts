// Mounts VNode trees into the webview's DOM. Attributes are set with setAttribute and text with text
// nodes, so data never becomes markup (no innerHTML anywhere); `on*` attributes are refused — events
// are bound by delegation in panelInput.ts through data-action attributes. `patch` updates a mounted
// tree in place (only changed attributes and texts are written), for views redrawn many times a second;
// `patchFrom` does it by comparing with the previous tree, without reading the DOM.
import type { AttrValue, VChild, VNode } from './vnode';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The string an attribute is set to, or undefined when it is left out (absent, false, an event). */
const attrText = (k: string, val: AttrValue): string | undefined =>
  val === undefined || val === false || k.startsWith('on') ? undefined : val === true ? '' : String(val);

export function toDom(node: VChild, doc: Document = document): Node {
  if (typeof node === 'string') return doc.createTextNode(node);
  const el = node.svg ? doc.createElementNS(SVG_NS, node.tag) : doc.createElement(node.tag);
  for (const [k, val] of Object.entries(node.attrs)) {
    const text = attrText(k, val);
    if (text !== undefined) el.setAttribute(k, text);
  }
  for (const c of node.children) el.appendChild(toDom(c, doc));
  return el;
}

/** Replaces the children of `host` with the tree (a whole panel re-render). */
export function mount(host: Element, node: VChild): void {
  host.replaceChildren(toDom(node, host.ownerDocument));
}

/**
 * Makes `host`'s content the tree, reusing what is already there: same element → its attributes and
 * children patched; another tag or kind → that subtree built anew. The browser then restyles and
 * repaints only what changed (a 64-device graph whose counts tick is a few text nodes, not 3,000
 * elements), and focus and scroll positions inside survive.
 */
export function patch(host: Element, node: VChild): void {
  const cur = host.firstChild;
  if (!cur || host.childNodes.length !== 1) return mount(host, node);
  patchNode(host, cur, node);
}

/**
 * Like patch, but compares the new tree with `prev`, the tree `host` was last made from, instead of
 * reading the DOM back: a 64-device graph whose counts tick is 3,000 elements whose attributes
 * patch would each read (getAttribute) to find the few texts that changed (issue 16 goal 5). The
 * caller guarantees the DOM is still what `prev` made (or passes undefined after touching it).
 */
export function patchFrom(host: Element, prev: VChild | undefined, next: VChild): void {
  const cur = host.firstChild;
  if (prev === undefined || !cur || host.childNodes.length !== 1) return patch(host, next);
  diffNode(host, cur, prev, next);
}

/**
 * patchFrom for children `from` to `to` of `el` only, whose trees were `prev` and are to be `next`
 * (same length): a view spreads a large patch over several frames (graphPane.ts, edges).
 */
export function patchChildrenFrom(
  el: Element,
  prev: readonly VChild[],
  next: readonly VChild[],
  from: number,
  to: number,
): void {
  const kids = el.childNodes;
  for (let i = from; i < to; i++) {
    const k = kids[i];
    const a = prev[i];
    const b = next[i] as VChild;
    if (k && a !== undefined) diffNode(el, k, a, b);
  }
}

function diffNode(parent: Node, dom: Node, a: VChild, b: VChild): void {
  if (a === b) return;
  const doc = parent.ownerDocument ?? document;
  if (typeof b === 'string') {
    if (typeof a === 'string' && dom.nodeType === 3) {
      if (a !== b) dom.nodeValue = b;
    } else parent.replaceChild(doc.createTextNode(b), dom);
    return;
  }
  if (typeof a === 'string' || a.tag !== b.tag || a.svg !== b.svg || dom.nodeType !== 1) {
    parent.replaceChild(toDom(b, doc), dom);
    return;
  }
  const el = dom as Element;
  const aa = a.attrs;
  const ba = b.attrs;
  for (const k in ba) {
    const bv = ba[k];
    // Most attributes of a redraw are the same value (a 64-device graph: ~20 000 of them).
    if (bv === aa[k]) continue;
    const want = attrText(k, bv);
    if (want === attrText(k, aa[k])) continue;
    if (want === undefined) el.removeAttribute(k);
    else el.setAttribute(k, want);
  }
  for (const k in aa) if (!(k in ba) && attrText(k, aa[k]) !== undefined) el.removeAttribute(k);
  if ((el.localName === 'input' || el.localName === 'select') && 'value' in b.attrs) {
    const want = attrText('value', b.attrs.value) ?? '';
    const ctl = el as HTMLInputElement;
    if (ctl.value !== want) ctl.value = want;
  }
  const kids = el.childNodes;
  const n = b.children.length;
  while (kids.length > n) el.removeChild(el.lastChild as ChildNode);
  for (let i = 0; i < n; i++) {
    const c = b.children[i] as VChild;
    const k = kids[i];
    const old = a.children[i];
    if (k && old !== undefined) diffNode(el, k, old, c);
    else if (k) patchNode(el, k, c);
    else el.appendChild(toDom(c, doc));
  }
}

function patchNode(parent: Node, dom: Node, v: VChild): void {
  const doc = parent.ownerDocument ?? document;
  if (typeof v === 'string') {
    if (dom.nodeType === 3) {
      if (dom.nodeValue !== v) dom.nodeValue = v;
    } else parent.replaceChild(doc.createTextNode(v), dom);
    return;
  }
  const el = dom as Element;
  if (dom.nodeType !== 1 || el.localName !== v.tag || (el.namespaceURI === SVG_NS) !== v.svg) {
    parent.replaceChild(toDom(v, doc), dom);
    return;
  }
  patchAttrs(el, v);
  const kids = el.childNodes;
  const n = v.children.length;
  // Children are matched by position: extra ones go, missing ones are appended.
  while (kids.length > n) el.removeChild(el.lastChild as ChildNode);
  for (let i = 0; i < n; i++) {
    const c = v.children[i] as VChild;
    const k = kids[i];
    if (k) patchNode(el, k, c);
    else el.appendChild(toDom(c, doc));
  }
}

function patchAttrs(el: Element, v: VNode): void {
  const attrs = v.attrs;
  let wanted = 0;
  for (const k in attrs) {
    const text = attrText(k, attrs[k]);
    if (text === undefined) {
      if (el.hasAttribute(k)) el.removeAttribute(k);
      continue;
    }
    wanted++;
    if (el.getAttribute(k) !== text) el.setAttribute(k, text);
  }
  // Attributes the tree no longer has (looked for only when the element has more than it wants).
  if (el.attributes.length > wanted)
    for (const a of Array.from(el.attributes))
      if (attrText(a.name, attrs[a.name]) === undefined) el.removeAttribute(a.name);
  // A form control shows its property, not its attribute, once the user has touched it.
  if ((el.localName === 'input' || el.localName === 'select') && 'value' in v.attrs) {
    const want = attrText('value', v.attrs.value) ?? '';
    const ctl = el as HTMLInputElement;
    if (ctl.value !== want) ctl.value = want;
  }
}
