// The frame stepper: pick a frame, see its journey through the three steps (program run and the
// redirect info it wrote, enqueue, transmit or flush, arrival, fate) and step the timeline cursor
// along it. "Step instructions" asks the host to run the frame's first program in the VM's trace
// mode and steps through it: pc, source line (highlighted in the editor), r0–r10, helper calls
// and what they returned, the packet before and after.
import type { TraceReply, VisModel } from '../../protocol/visualizer';
import type { FrameJourney } from './timeline';
import { describeEvent } from './timelineView';
import { h, type VNode } from './vnode';

export function frameView(
  model: VisModel,
  journey: FrameJourney | undefined,
  frame: number,
  t: number,
  frames: number,
  trace?: TraceReply,
  insn = 0,
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
    h('p', { class: 'muted note' }, model.stepping.note),
    model.stepping.available &&
      h(
        'button',
        {
          type: 'button',
          'data-action': 'trace-frame',
          'aria-label': `Step frame ${frame} instruction by instruction`,
        },
        'Step instructions',
      ),
    model.stepping.available &&
      h(
        'button',
        {
          type: 'button',
          'data-action': 'debug-frame',
          'aria-label': `Debug frame ${frame} in VS Code's debugger`,
          title: 'Breakpoints, locals and step back in the Run and Debug view (debug type xdp-lab)',
        },
        'Debug this frame',
      ),
    trace && trace.frame === frame && stepperView(trace, insn),
  );
}

const bytesLine = (hexText: string): string =>
  (hexText.slice(0, 192).match(/../g) ?? []).join(' ') + (hexText.length > 192 ? ' …' : '');

/** The instruction stepper of one traced run. */
export function stepperView(trace: TraceReply, insn: number): VNode {
  if (!trace.steps.length)
    return h('p', { class: 'danger', role: 'alert' }, trace.message ?? 'nothing to step');
  const k = Math.max(0, Math.min(insn, trace.steps.length - 1));
  const st = trace.steps[k];
  const calls = trace.steps.map((s, i) => [s, i] as const).filter(([s]) => s.call);
  const btn = (action: string, label: string, aria: string): VNode =>
    h('button', { type: 'button', 'data-action': action, 'aria-label': aria }, label);
  return h(
    'div',
    { class: 'stepper', 'aria-label': 'Instruction stepper' },
    h(
      'p',
      {},
      `${trace.program}() on ${trace.device} → ${trace.action} in ${trace.steps.length} instructions${trace.truncated ? '+' : ''}`,
    ),
    trace.message && h('p', { class: 'danger' }, trace.message),
    h(
      'div',
      { class: 'stepper-ctl', role: 'toolbar', 'aria-label': 'Step controls' },
      btn('insn-first', '« first', 'First instruction'),
      btn('insn-prev', '‹ insn', 'Previous instruction'),
      btn('insn-next', 'insn ›', 'Next instruction'),
      btn('line-next', 'line ›', 'Next source line'),
      btn('call-next', 'call ›', 'Next helper call'),
      btn('insn-last', 'exit »', 'Last instruction (exit)'),
    ),
    st &&
      h(
        'div',
        { class: 'insn-now', 'aria-live': 'polite', 'data-insn': k },
        h('strong', {}, `#${k + 1} pc ${st.pc}`),
        ` · ${st.line ? `line ${st.line}` : 'no line info'} · `,
        h('code', {}, st.insn),
        st.call && h('div', { class: 'call' }, `call ${st.call.helper} → returned ${st.call.returned}`),
      ),
    st &&
      h(
        'table',
        { class: 'regs', 'aria-label': 'Registers before the instruction' },
        h(
          'tbody',
          {},
          st.regs.map((r, i) => {
            const prev = trace.steps[k - 1]?.regs[i];
            return h(
              'tr',
              { class: prev !== undefined && prev !== r ? 'changed' : '' },
              h('th', {}, `r${i}`),
              h('td', {}, h('code', {}, r)),
            );
          }),
        ),
      ),
    calls.length > 0 &&
      h(
        'div',
        { class: 'calls' },
        h('strong', {}, 'Helper calls'),
        h(
          'ol',
          {},
          calls.map(([s, i]) =>
            h(
              'li',
              {},
              h(
                'button',
                { type: 'button', class: 'link', 'data-action': 'insn-goto', 'data-insn': i },
                `pc ${s.pc}${s.line ? ` (line ${s.line})` : ''}: ${s.call?.helper} → ${s.call?.returned}`,
              ),
            ),
          ),
        ),
      ),
    trace.packetIn &&
      h('div', { class: 'packet' }, h('strong', {}, 'Packet in '), h('code', {}, bytesLine(trace.packetIn))),
    trace.packetOut &&
      trace.packetOut !== trace.packetIn &&
      h(
        'div',
        { class: 'packet' },
        h('strong', {}, 'Packet out '),
        h('code', {}, bytesLine(trace.packetOut)),
      ),
  );
}
