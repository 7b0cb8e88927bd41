// The panel's header as pure views: the title (with the capture a comparison shows), the status
// line's text, the warning banner and the headline counters (counters.ts) with predicted / observed.
import type { VisModel, VisStatus } from '../../protocol/visualizer';
import { headlineCounters } from './counters';
import { formatVersus } from './graphModel';
import { h, type VNode } from './vnode';

export function titleText(model: VisModel | undefined): string {
  if (!model) return 'Redirect flow';
  return model.observed ? `${model.title} — predicted / observed on ${model.observed.title}` : model.title;
}

export function statusText(s: VisStatus): string {
  return s.state === 'ready' ? (s.message ?? '') : `${s.state}${s.message ? `: ${s.message}` : ''}`;
}

/** E.g. a program the kernel's verifier would reject: it runs here anyway, and the banner says so. */
export function warningsView(model: VisModel | undefined): VNode {
  return h('div', {}, ...(model?.warnings ?? []).map((w) => h('p', { class: 'warning' }, `⚠ ${w}`)));
}

export function countersView(model: VisModel): VNode[] {
  return headlineCounters(model).map((c) =>
    h(
      'span',
      {
        class: `counter${c.danger ? ' danger' : ''}${c.observed !== undefined && c.observed !== c.value ? ' mismatch' : ''}`,
        role: 'listitem',
        title: c.observed === undefined ? c.hint : `${c.hint} — predicted / observed`,
        'aria-label':
          c.observed === undefined
            ? `${c.label}: ${c.value}`
            : `${c.label}: ${c.value} predicted, ${c.observed} observed`,
      },
      h(
        'span',
        {
          class: 'counter-value',
          'data-counter': c.key,
          'data-value': c.value,
          ...(c.observed !== undefined ? { 'data-observed': c.observed } : {}),
        },
        formatVersus(c.value, c.observed),
      ),
      h('span', { class: 'counter-label' }, c.label),
    ),
  );
}
