// The drops panel: every drop reason with its count, the errno's meaning, usual cause and usual fix
// from the one errno table (src/core/trace/errnos.ts), and a link that asks the host to open the
// program at the line that returned the action. One card per reason; each place it happened is a
// row with its own count and link, so the long explanation is read once.
import { errnoByName } from '../../core/trace/errnos';
import type { VisDrop, VisModel } from '../../protocol/visualizer';
import { formatCount } from './graphModel';
import { h, type VNode } from './vnode';

const basename = (p: string): string => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);

export interface DropGroup {
  /** The errno name, or the reason when the drop has no errno (XDP_DROP, cpumap ring full, …). */
  readonly key: string;
  readonly count: number;
  readonly drops: readonly VisDrop[];
}

/** Drops grouped by errno (or reason), most frequent first; rows inside by count. */
export function dropGroups(model: VisModel): DropGroup[] {
  const groups = new Map<string, VisDrop[]>();
  for (const d of model.drops) {
    const key = d.errno ?? d.reason;
    const g = groups.get(key);
    if (g) g.push(d);
    else groups.set(key, [d]);
  }
  return [...groups]
    .map(([key, drops]) => ({
      key,
      count: drops.reduce((n, d) => n + d.count, 0),
      drops: drops.sort((a, b) => b.count - a.count || a.device.localeCompare(b.device)),
    }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

function dropRow(d: VisDrop, model: VisModel): VNode {
  const prog = d.program ? model.programs.find((p) => p.name === d.program) : undefined;
  const source = d.source ?? (prog?.file && prog.line ? { file: prog.file, line: prog.line } : undefined);
  return h(
    'li',
    { class: 'drop-at' },
    h(
      'span',
      { class: 'drop-where' },
      `${d.reason} at ${d.device}${d.program ? ` · ${d.program}()` : ''}${d.tracepoint ? ` · ${d.tracepoint}` : ''}`,
    ),
    h(
      'span',
      { class: 'drop-count', 'data-drop-count': `${d.device}:${d.errno ?? d.reason}` },
      formatCount(d.count),
    ),
    source &&
      h(
        'button',
        {
          class: 'link',
          type: 'button',
          'data-action': 'open-source',
          'data-file': source.file,
          'data-line': source.line,
          title: `Open ${source.file}:${source.line}`,
        },
        `Open ${d.program ? `${d.program}() in ` : ''}${basename(source.file)}:${source.line}`,
      ),
  );
}

function groupCard(g: DropGroup, model: VisModel): VNode {
  const info = errnoByName(g.key);
  return h(
    'li',
    {
      class: 'drop',
      'data-drop': g.key,
      'aria-label': `${formatCount(g.count)} frames dropped: ${g.key}${info ? `, ${info.meaning}` : ''}`,
    },
    h(
      'div',
      { class: 'drop-head' },
      h('span', { class: 'drop-errno' }, g.key),
      info && h('span', { class: 'drop-num' }, ` (${info.number}) ${info.meaning}`),
      h('span', { class: 'drop-count', 'data-drop-total': g.key }, formatCount(g.count)),
    ),
    h(
      'ul',
      { class: 'drop-places' },
      g.drops.map((d) => dropRow(d, model)),
    ),
    info
      ? h(
          'dl',
          { class: 'drop-explain' },
          h('dt', {}, 'Usual cause'),
          h('dd', {}, info.cause),
          h('dt', {}, 'Fix'),
          h('dd', { class: 'drop-fix' }, info.fix),
        )
      : /^E[A-Z0-9]+$/.test(g.key) &&
          h('p', { class: 'drop-explain' }, `${g.key}: not an errno XDP Lab knows in the XDP context.`),
  );
}

export function dropsView(model: VisModel): VNode {
  const groups = dropGroups(model);
  const total = groups.reduce((n, g) => n + g.count, 0);
  return h(
    'section',
    { class: 'drops', 'aria-label': 'Drops' },
    h(
      'h2',
      {},
      groups.length
        ? `${formatCount(total)} frames dropped, ${groups.length} reason${groups.length > 1 ? 's' : ''}`
        : 'No drops',
    ),
    groups.length
      ? h(
          'ul',
          { class: 'drop-list' },
          groups.map((g) => groupCard(g, model)),
        )
      : h('p', { class: 'muted' }, 'Every frame reached a device, a socket or the stack.'),
  );
}
