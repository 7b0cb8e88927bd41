// The frame stepper: pick a frame, see its journey through the three steps (program run and the
// redirect info it wrote, enqueue, transmit or flush, arrival, fate) and step the timeline cursor
// along it. Instruction-level stepping needs the VM's trace mode; until the model says it is
// available, the panel says so instead of pretending.
import type { VisModel } from '../../protocol/visualizer';
import type { FrameJourney } from './timeline';
import { describeEvent } from './timelineView';
import { h, type VNode } from './vnode';

export function frameView(
  model: VisModel,
  journey: FrameJourney | undefined,
  frame: number,
  t: number,
  frames: number,
): VNode {
  const steps = journey?.events ?? [];
  const at = steps.findIndex((i) => i >= t);
  return h(
    'section',
    { class: 'frame', 'aria-label': 'Frame stepper' },
    h(
      'div',
      { class: 'frame-pick' },
      h('label', { for: 'frame-no' }, 'Frame '),
      h('input', {
        id: 'frame-no',
        type: 'number',
        min: 0,
        max: Math.max(0, frames - 1),
        value: frame,
        'data-action': 'pick-frame',
      }),
      h(
        'button',
        { type: 'button', 'data-action': 'frame-prev', 'aria-label': 'Previous step of this frame' },
        '◀ step',
      ),
      h(
        'button',
        { type: 'button', 'data-action': 'frame-next', 'aria-label': 'Next step of this frame' },
        'step ▶',
      ),
    ),
    journey
      ? h(
          'p',
          { class: `fate ${journey.fate === 'dropped' ? 'danger' : ''}` },
          `Fate: ${journey.fate}${journey.where ? ` at ${journey.where}` : ''}${journey.errno ? ` (${journey.errno})` : ''}`,
        )
      : h('p', { class: 'muted' }, `Frame ${frame} is not in the kept timeline.`),
    h(
      'ol',
      { class: 'journey' },
      steps.map((i, k) => {
        const ev = model.timeline[i];
        const src = ev?.k === 'run' ? ev.source : undefined;
        return h(
          'li',
          { class: k === at ? 'current' : i < t ? 'done' : '' },
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              'data-action': 'goto',
              'data-t': i,
              'aria-current': k === at ? 'step' : undefined,
            },
            describeEvent(ev),
          ),
          src &&
            h(
              'button',
              {
                type: 'button',
                class: 'link small',
                'data-action': 'open-source',
                'data-file': src.file,
                'data-line': src.line,
              },
              `line ${src.line}`,
            ),
        );
      }),
    ),
    h('p', { class: model.stepping.available ? '' : 'muted note' }, model.stepping.note),
  );
}
