// The panel's page skeleton: the header (title, status, warnings, counters, toolbar), the graph
// area and the side column (details, tab strip, tab panel), mounted once; the app fills each part.
import { toDom } from './dom';
import { h } from './vnode';

export type ShellPart =
  'title' | 'status' | 'warnings' | 'counters' | 'controls' | 'graph' | 'details' | 'tabs' | 'panel';

/** Replaces `root`'s content with the skeleton and returns its parts by name. */
export function mountShell(root: HTMLElement): Record<ShellPart, HTMLElement> {
  root.replaceChildren(
    toDom(
      h(
        'div',
        { class: 'app' },
        h(
          'header',
          { class: 'bar' },
          h(
            'div',
            { class: 'title-row' },
            h('h1', { id: 'title' }, 'Redirect flow'),
            h('span', { id: 'status', role: 'status', 'aria-live': 'polite' }),
          ),
          h('div', { id: 'warnings', class: 'warnings', role: 'alert' }),
          h('div', { id: 'counters', class: 'counters', role: 'list', 'aria-label': 'Counters' }),
          h('div', { id: 'controls', class: 'controls', role: 'toolbar', 'aria-label': 'Controls' }),
        ),
        h(
          'main',
          { class: 'body' },
          h('div', { id: 'graph', class: 'graph-wrap', tabindex: -1, 'aria-label': 'Flow graph' }),
          h(
            'aside',
            { class: 'side' },
            h('div', { id: 'details', class: 'details', 'aria-live': 'polite' }),
            h('div', { id: 'tabs', class: 'tabs', role: 'tablist', 'aria-label': 'Panels' }),
            h('div', { id: 'panel', class: 'panel', role: 'tabpanel', tabindex: 0 }),
          ),
        ),
      ),
    ),
  );
  const q = (id: ShellPart): HTMLElement => root.querySelector(`#${id}`) as HTMLElement;
  return {
    title: q('title'),
    status: q('status'),
    warnings: q('warnings'),
    counters: q('counters'),
    controls: q('controls'),
    graph: q('graph'),
    details: q('details'),
    tabs: q('tabs'),
    panel: q('panel'),
  };
}
