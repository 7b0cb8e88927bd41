// Traffic controls: change count, burst and the UDP destination of each traffic entry and re-run.
// Edits go to the host as a `visualizer/rerun` request and apply in memory (the file is untouched).
import type { VisModel } from '../../protocol/visualizer';
import { h, type VNode } from './vnode';

export function trafficView(model: VisModel): VNode {
  return h(
    'section',
    { class: 'traffic', 'aria-label': 'Traffic' },
    h(
      'p',
      { class: 'muted' },
      'Edits apply to the next run only; the scenario file is not changed. Saving the scenario or the program re-runs too.',
    ),
    h(
      'form',
      { 'data-action': 'rerun-form' },
      model.traffic.map((t, i) =>
        h(
          'fieldset',
          { 'data-traffic': i },
          h('legend', {}, `#${i + 1} ${t.from ? `from ${t.from}` : `rx ${t.rx ?? '?'}`}: ${t.frame}`),
          h(
            'label',
            {},
            'count ',
            h('input', { type: 'number', name: 'count', min: 1, max: 10_000_000, value: t.count }),
          ),
          h(
            'label',
            {},
            'burst ',
            h('input', { type: 'number', name: 'burst', min: 1, max: 256, value: t.burst }),
          ),
          t.dst !== undefined &&
            h(
              'label',
              {},
              'dst ',
              h('input', { type: 'text', name: 'dst', value: t.dst, size: 14, maxlength: 64 }),
            ),
          t.dport !== undefined &&
            h(
              'label',
              {},
              'dport ',
              h('input', { type: 'number', name: 'dport', min: 0, max: 65535, value: t.dport }),
            ),
        ),
      ),
      h('button', { type: 'submit', disabled: model.origin !== 'simulation' }, 'Re-run with these'),
    ),
  );
}
