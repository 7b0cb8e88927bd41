// The side panel's tabs (Drops, Timeline, Frame, Traffic) and what each shows, as pure views: the tab
// strip with the drop count on its first tab, and the selected tab's content from the view state.
import type { TraceReply, VisModel } from '../../protocol/visualizer';
import { dropsView } from './dropsView';
import { frameView } from './frameView';
import { formatCount } from './graphModel';
import type { FrameJourney, TimelineIndex } from './timeline';
import { timelineView } from './timelineView';
import { trafficView } from './trafficView';
import { h, type VNode } from './vnode';

export type Tab = 'drops' | 'timeline' | 'frame' | 'traffic';

export const tabs: ReadonlyArray<[Tab, string]> = [
  ['drops', 'Drops'],
  ['timeline', 'Timeline'],
  ['frame', 'Frame'],
  ['traffic', 'Traffic'],
];

/** The tab after (or before) `tab`, wrapping around (arrow keys on the tab strip). */
export function nextTab(tab: Tab, forward: boolean): Tab {
  const i = tabs.findIndex(([id]) => id === tab);
  return tabs[(i + (forward ? 1 : tabs.length - 1)) % tabs.length]?.[0] ?? 'drops';
}

export function tabsView(model: VisModel | undefined, tab: Tab): VNode {
  const drops = model?.drops.reduce((a, d) => a + d.count, 0) ?? 0;
  const misses = model?.misses?.frames ?? 0;
  const label = (id: Tab, text: string): string =>
    id !== 'drops'
      ? text
      : `${text}${drops ? ` (${formatCount(drops)})` : ''}${misses ? ` · ⚠ ${formatCount(misses)} missed` : ''}`;
  return h(
    'div',
    { class: 'tabs-inner' },
    tabs.map(([id, text]) =>
      h(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: `tab-${id}`,
          'data-action': 'tab',
          'data-tab': id,
          'aria-selected': tab === id ? 'true' : 'false',
          tabindex: tab === id ? 0 : -1,
          class: id === 'drops' && drops ? 'has-drops' : '',
        },
        label(id, text),
      ),
    ),
  );
}

/** What the selected tab shows; the cursor `t`, the frame and its instruction trace come from the app. */
export interface PanelState {
  readonly tab: Tab;
  readonly t: number;
  readonly index: TimelineIndex | undefined;
  readonly journeys: ReadonlyMap<number, FrameJourney>;
  readonly frame: number;
  readonly trace: TraceReply | undefined;
  readonly insn: number;
}

export function panelView(m: VisModel, s: PanelState): VNode {
  switch (s.tab) {
    case 'drops':
      return dropsView(m);
    case 'timeline':
      return timelineView(m, s.index?.stateAt(s.t) ?? [], s.t);
    case 'frame':
      return frameView(m, s.journeys.get(s.frame), s.frame, s.t, s.journeys.size, s.trace, s.insn);
    case 'traffic':
      return trafficView(m);
  }
}
