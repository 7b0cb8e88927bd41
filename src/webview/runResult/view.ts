// The Run-on-a-frame result as a tree (pure: state → VNode, mounted by main.ts, inspected by tests):
// the verdict, the VM's notes, the frame by layer before and after with changed fields and bytes
// marked, the maps before and after, printk.
import { changedBytes, decodeLayers, type FrameLayer } from '../../core/packet/frameLayers';
import type { RunResultMap, RunResultView } from '../../protocol/runResult';
import { h, type VNode } from '../visualizer/vnode';

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16) || 0;
  return out;
}

const sameBytes = (a: Uint8Array, b: Uint8Array, o: number, n: number): boolean => {
  for (let i = o; i < o + n; i++) if (a[i] !== b[i]) return false;
  return true;
};

function outcomeView(r: RunResultView): VNode {
  const o = r.outcome;
  if (o.kind === 'fault')
    return h(
      'p',
      { class: 'outcome fault', 'data-outcome': 'fault' },
      h('span', { class: 'badge fault' }, 'fault'),
      ` at pc ${o.pc}${o.line ? ` (${o.line})` : ''}: ${o.message}`,
    );
  return h(
    'p',
    { class: 'outcome', 'data-outcome': o.action },
    h('span', { class: `badge ${o.action.toLowerCase()}` }, o.action),
    ` retval ${o.retval} · ${r.insns.toLocaleString('en-US')} instructions`,
    o.redirect ? ` · redirect: ${o.redirect}` : '',
  );
}

/** One table row per field of the layers before and after; rows whose bytes changed are marked. */
function layersView(before: Uint8Array, after: Uint8Array): VNode {
  const inL = decodeLayers(before);
  const outL = decodeLayers(after);
  const sameLength = before.length === after.length;
  if (!sameLength)
    return h(
      'div',
      {},
      h(
        'p',
        { class: 'note' },
        `The frame is ${after.length} bytes after the run, ${before.length} before (bpf_xdp_adjust_head/tail): both decoded from their first byte.`,
      ),
      h('div', { class: 'cols' }, layerTable('before', inL, undefined), layerTable('after', outL, undefined)),
    );
  const rows: VNode[] = [];
  for (const layer of outL) {
    rows.push(
      h(
        'tr',
        { class: 'layer' },
        h('th', { colspan: 3 }, `${layer.name} (bytes ${layer.offset}–${layer.offset + layer.length - 1})`),
      ),
    );
    for (const f of layer.fields) {
      const changed = !sameBytes(before, after, f.offset, f.size);
      const was = inL.flatMap((l) => l.fields).find((x) => x.offset === f.offset && x.name === f.name)?.value;
      rows.push(
        h(
          'tr',
          changed ? { class: 'changed', 'data-changed': f.name } : {},
          h('td', {}, f.name),
          h('td', { class: 'mono' }, changed ? (was ?? '') : ''),
          h('td', { class: 'mono' }, f.value),
        ),
      );
    }
  }
  return h(
    'table',
    { class: 'layers' },
    h('tr', {}, h('th', {}, 'field'), h('th', {}, 'before (if changed)'), h('th', {}, 'after')),
    rows,
  );
}

function layerTable(title: string, layers: readonly FrameLayer[], _changed: Set<number> | undefined): VNode {
  return h(
    'table',
    { class: 'layers' },
    h('tr', {}, h('th', { colspan: 2 }, title)),
    layers.flatMap((l) => [
      h('tr', { class: 'layer' }, h('th', { colspan: 2 }, l.name)),
      ...l.fields.map((f) => h('tr', {}, h('td', {}, f.name), h('td', { class: 'mono' }, f.value))),
    ]),
  );
}

/** 16 bytes a line, changed bytes in their own span (marked). */
function hexView(after: Uint8Array, changed: Set<number>): VNode {
  const lines: VNode[] = [];
  for (let o = 0; o < after.length; o += 16) {
    const cells: (VNode | string)[] = [`${o.toString(16).padStart(4, '0')}  `];
    for (let i = o; i < Math.min(o + 16, after.length); i++) {
      const byte = (after[i] ?? 0).toString(16).padStart(2, '0');
      cells.push(
        changed.has(i) ? h('span', { class: 'changed-byte' }, byte) : byte,
        i % 8 === 7 ? '  ' : ' ',
      );
    }
    lines.push(h('div', {}, ...cells));
  }
  return h('pre', { class: 'hex' }, lines);
}

function mapView(m: RunResultMap): VNode {
  return h(
    'div',
    { class: 'map', 'data-map': m.name },
    h(
      'h3',
      {},
      `${m.name} `,
      h('span', { class: 'dim' }, `${m.type}, ${m.total.toLocaleString('en-US')} entries`),
    ),
    m.entries.length
      ? h(
          'table',
          {},
          h('tr', {}, h('th', {}, 'key'), h('th', {}, 'before'), h('th', {}, 'after')),
          m.entries.map((e) =>
            h(
              'tr',
              e.before !== e.after ? { class: 'changed' } : {},
              h('td', { class: 'mono' }, e.key),
              h('td', { class: 'mono' }, e.before ?? '—'),
              h('td', { class: 'mono' }, e.after ?? '(deleted)'),
            ),
          ),
        )
      : h('p', { class: 'dim' }, 'empty (all zero) before and after'),
  );
}

export function runResultTree(r: RunResultView): VNode {
  const before = fromHex(r.frameIn);
  const after = fromHex(r.frameOut);
  const changed = changedBytes(before, after);
  return h(
    'main',
    {},
    h('h1', { id: 'title' }, r.program, h('span', { class: 'dim' }, ` SEC("${r.section}") · ${r.source}`)),
    h('p', { class: 'dim' }, `frame: ${r.frameWhat}`),
    // Above the verdict: the run happened although the kernel would not have loaded the program.
    r.verifier ? h('p', { class: 'verifier-warning', role: 'alert' }, `⚠ ${r.verifier}`) : false,
    outcomeView(r),
    h(
      'p',
      {},
      h(
        'button',
        { 'data-action': 'rerun', title: 'Run the program on the same frame again (after a save)' },
        'Re-run',
      ),
      h('button', { 'data-action': 'json' }, 'Open as JSON'),
    ),
    r.notes.length
      ? h(
          'div',
          { class: 'notes' },
          r.notes.map((n) => h('p', { class: 'note' }, n)),
        )
      : false,
    r.outcome.kind === 'action'
      ? [
          h(
            'h2',
            {},
            'Frame',
            h('span', { class: 'dim' }, ` ${changed.size} byte${changed.size === 1 ? '' : 's'} changed`),
          ),
          layersView(before, after),
          hexView(after, changed),
        ]
      : false,
    h('h2', {}, 'Maps'),
    r.maps.length ? r.maps.map(mapView) : h('p', { class: 'dim' }, 'The object has no maps.'),
    r.printk.length ? [h('h2', {}, 'bpf_printk'), h('pre', {}, r.printk.join('\n'))] : false,
  );
}
