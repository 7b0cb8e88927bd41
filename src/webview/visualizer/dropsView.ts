// The drops panel: every drop reason with its count, the errno's meaning, usual cause and usual fix
// from the one errno table (src/core/trace/errnos.ts), and a link that asks the host to open the
// program at the line that returned the action. One card per reason; each place it happened is a
// row with its own count and link, so the long explanation is read once. Redirect-map misses (the
// flags' fallback, usually XDP_PASS: no drop, but no redirect either) come first, in core's words.
import { errnoByName } from '../../core/trace/errnos';
import { nodeId, type VisDrop, type VisModel } from '../../protocol/visualizer';
import { formatCount, formatVersus } from './graphModel';
import { h, type VNode } from './vnode';

const basename = (p: string): string => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);

/** A drop place; `observed` when a compared capture can see this drop (its flows into the sink). */
export type DropRow = VisDrop & { readonly observed?: number };

export interface DropGroup {
  /** The errno name, or the reason when the drop has no errno (XDP_DROP, cpumap ring full, …). */
  readonly key: string;
  readonly count: number;
  readonly observed?: number;
  readonly drops: readonly DropRow[];
}

/** Compared with a capture: the rows with what it saw, plus drops only the capture saw (predicted 0). */
function dropRows(model: VisModel): DropRow[] {
  if (!model.observed) return model.drops;
  const seen = new Map<string, number>();
  for (const f of model.observed.flows)
    if (f.kind === 'drop') seen.set(f.to, (seen.get(f.to) ?? 0) + f.frames);
  const rows: DropRow[] = model.drops.map((d) => {
    const id = nodeId.drop(d.device, d.errno ?? d.reason);
    const n = seen.get(id);
    seen.delete(id);
    return n === undefined ? d : { ...d, observed: n };
  });
  for (const [id, n] of seen) {
    const at = id.slice('drop:'.length);
    const sep = at.lastIndexOf(':');
    const device = at.slice(0, sep);
    const why = at.slice(sep + 1);
    const errno = /^E[A-Z0-9]+$/.test(why) ? why : undefined;
    rows.push({
      device,
      reason: errno ? 'seen only by the capture' : why,
      ...(errno ? { errno } : {}),
      count: 0,
      observed: n,
    });
  }
  return rows;
}

/** Drops grouped by errno (or reason), most frequent first; rows inside by count. */
export function dropGroups(model: VisModel): DropGroup[] {
  const groups = new Map<string, DropRow[]>();
  for (const d of dropRows(model)) {
    const key = d.errno ?? d.reason;
    const g = groups.get(key);
    if (g) g.push(d);
    else groups.set(key, [d]);
  }
  return [...groups]
    .map(([key, drops]) => ({
      key,
      count: drops.reduce((n, d) => n + d.count, 0),
      ...(drops.some((d) => d.observed !== undefined)
        ? { observed: drops.reduce((n, d) => n + (d.observed ?? 0), 0) }
        : {}),
      drops: drops.sort((a, b) => b.count - a.count || a.device.localeCompare(b.device)),
    }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

function dropRow(d: DropRow, model: VisModel): VNode {
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
      {
        class: `drop-count${d.observed !== undefined && d.observed !== d.count ? ' mismatch' : ''}`,
        'data-drop-count': `${d.device}:${d.errno ?? d.reason}`,
        ...(d.observed !== undefined ? { 'data-observed': d.observed } : {}),
      },
      formatVersus(d.count, d.observed),
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
      h(
        'span',
        {
          class: `drop-count${g.observed !== undefined && g.observed !== g.count ? ' mismatch' : ''}`,
          'data-drop-total': g.key,
        },
        formatVersus(g.count, g.observed),
      ),
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

/**
 * Frames a redirect-map miss sent elsewhere (the flags' fallback: often XDP_PASS, so no drop): one
 * row per place with core's words, its count and its bpf_redirect_map line; the why once.
 */
function missesView(model: VisModel): VNode | false {
  const m = model.misses;
  if (!m?.frames) return false;
  const listed = m.rows.reduce((n, r) => n + r.count, 0);
  return h(
    'section',
    { class: 'misses', 'aria-label': 'Redirect-map misses', 'data-misses': m.frames },
    h(
      'h2',
      {},
      `⚠ ${formatCount(m.frames)} frame${m.frames === 1 ? '' : 's'} not redirected: redirect-map miss${m.frames === 1 ? '' : 'es'}`,
    ),
    h(
      'ul',
      { class: 'drop-places' },
      m.rows.map((r) =>
        h(
          'li',
          { class: 'miss-at', title: r.why },
          h('span', { class: 'miss-text' }, r.text),
          h('span', { class: 'drop-where muted' }, `at ${r.device} · ${r.program}()`),
          h(
            'span',
            { class: 'miss-count', 'data-miss-count': `${r.device}:${r.text}` },
            formatCount(r.count),
          ),
          r.source &&
            h(
              'button',
              {
                class: 'link',
                type: 'button',
                'data-action': 'open-source',
                'data-file': r.source.file,
                'data-line': r.source.line,
                title: `Open ${r.source.file}:${r.source.line}`,
              },
              `Open ${r.program}() in ${basename(r.source.file)}:${r.source.line}`,
            ),
        ),
      ),
      listed < m.frames &&
        h('li', { class: 'miss-at muted' }, `${formatCount(m.frames - listed)} more at other keys`),
    ),
    m.rows[0] && h('p', { class: 'drop-explain' }, m.rows[0].why),
  );
}

export function dropsView(model: VisModel): VNode {
  const groups = dropGroups(model);
  const total = groups.reduce((n, g) => n + g.count, 0);
  const seen = model.observed ? groups.reduce((n, g) => n + (g.observed ?? 0), 0) : undefined;
  return h(
    'section',
    { class: 'drops', 'aria-label': 'Drops' },
    missesView(model),
    h(
      'h2',
      {},
      groups.length
        ? `${formatVersus(total, seen)} frames dropped${seen === undefined ? '' : ' (predicted / observed)'}, ${groups.length} reason${groups.length > 1 ? 's' : ''}`
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
