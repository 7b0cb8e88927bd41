// The three steps per CPU at the timeline cursor: the redirect info the helper wrote (step 1), the
// bulk queues filling towards 16 (device) or 8 (cpumap entry) (step 2), and the flush at the end of
// the NAPI poll (step 3); on the kthread's CPU, each cpumap ring's fill out of qsize, its ring-full
// drops and the kthread's batches (§4.2). A range input scrubs; fills are <meter>s screen readers read.
import type { VisEvent, VisModel } from '../../protocol/visualizer';
import type { CpuState } from './timeline';
import { h, type VNode } from './vnode';

export function describeEvent(ev: VisEvent | undefined): string {
  if (!ev) return 'before the first event';
  switch (ev.k) {
    case 'poll':
      return `CPU ${ev.cpu}: NAPI poll on ${ev.device} with ${ev.frames} frame${ev.frames === 1 ? '' : 's'}`;
    case 'run': {
      const r = ev.redirect
        ? ` — redirect info: ${ev.redirect.map ? `${ev.redirect.map}[${ev.redirect.key}]` : `ifindex ${ev.redirect.key}`} → ${ev.redirect.target.replace(/^\w+:/, '')}`
        : '';
      const miss = ev.miss ? ` — ${ev.miss.text}` : '';
      if (ev.chain)
        return `CPU ${ev.cpu}: frame ${ev.frame} on ${ev.device}: libxdp dispatcher ran ${ev.chain}; ${ev.decidedBy ? `${ev.decidedBy}() decided` : 'every program continued:'} ${ev.action}${r}${miss}`;
      return `CPU ${ev.cpu}: frame ${ev.frame} on ${ev.device}: ${ev.program}() returned ${ev.action}${r}${miss}`;
    }
    case 'enqueue':
      return `CPU ${ev.cpu}: frame ${ev.frame} enqueued on ${ev.queue} (${ev.fill}/${ev.capacity})`;
    case 'xmit':
      if (ev.ring && ev.skb)
        return `CPU ${ev.cpu}: generic mode: frame ${ev.frames?.[0] ?? '?'} put straight into ${ev.ring.name}${ev.drops ? ': ring full, dropped (ENOSPC)' : ''}; ring ${ev.ring.fill}/${ev.ring.size}`;
      if (ev.ring)
        return `CPU ${ev.cpu}: ${ev.queue} pushed ${ev.sent + ev.drops} into ${ev.ring.name} ${ev.flush ? 'at flush' : 'because it was full'}: ${ev.sent} in${ev.drops ? `, ${ev.drops} dropped (ring full)` : ''}; ring ${ev.ring.fill}/${ev.ring.size}`;
      return `CPU ${ev.cpu}: ${ev.queue} transmitted ${ev.flush ? 'at flush' : 'because it was full'}: sent ${ev.sent}, drops ${ev.drops}${ev.err ? ` (${ev.err})` : ''}`;
    case 'flush':
      return `CPU ${ev.cpu}: xdp_do_flush at the end of the poll on ${ev.device}`;
    case 'drop':
      return `CPU ${ev.cpu}: frame ${ev.frame} dropped at ${ev.device}: ${ev.reason}${ev.errno ? ` (${ev.errno})` : ''}`;
    case 'deliver':
      return `CPU ${ev.cpu}: frame ${ev.frame} ${ev.fate === 'wire' ? `left ${ev.device} on the wire` : `delivered at ${ev.device} (${ev.fate})`}`;
    case 'kthread':
      return `CPU ${ev.cpu}: cpumap kthread took ${ev.processed} from ${ev.queue}${ev.drops ? `, ${ev.drops} dropped` : ''}${ev.verdicts ? ` — program: pass ${ev.verdicts.pass}, drop ${ev.verdicts.drop}, redirect ${ev.verdicts.redirect}` : ''}${ev.ring ? `; ring ${ev.ring.fill}/${ev.ring.size}` : ''}`;
  }
}

function verdictText(v: { pass: number; drop: number; redirect: number }): string {
  return `pass ${v.pass} · drop ${v.drop} · redirect ${v.redirect}`;
}

/** The cpumap rings this CPU's kthreads drain: fill out of qsize, ring-full drops, kthread batches. */
function ringsStep(c: CpuState): VNode | false {
  if (!c.rings.length) return false;
  return h(
    'div',
    { class: 'step' },
    h('span', { class: 'step-n', 'aria-hidden': 'true' }, 'k'),
    h('span', { class: 'step-t' }, 'cpumap rings → kthread'),
    h(
      'ul',
      { class: 'rings', 'aria-label': `cpumap rings drained on CPU ${c.cpu}` },
      c.rings.map((r) =>
        h(
          'li',
          {
            class: `ring${r.ringFullDrops ? ' danger' : ''}`,
            'data-ring': r.id,
            tabindex: 0,
            'aria-label': `${r.id} holds ${r.fill} of ${r.size}; ${r.ringFullDrops} ring-full drops; kthread ${r.batches} batch${r.batches === 1 ? '' : 'es'}, ${r.processed} processed${r.verdicts ? `; program ${verdictText(r.verdicts)}` : ''}`,
          },
          h('span', { class: 'q-name' }, r.id),
          h('meter', {
            min: 0,
            max: r.size,
            value: r.fill,
            'aria-label': `${r.id} holds ${r.fill} of ${r.size}`,
          }),
          h('span', { class: 'q-fill' }, `${r.fill}/${r.size}`),
          h(
            'span',
            { class: 'q-sent muted' },
            `in ${r.pushed}`,
            r.ringFullDrops ? h('span', { class: 'ring-drops' }, ` ✕${r.ringFullDrops} ring full`) : '',
          ),
          h(
            'span',
            { class: 'kthread muted' },
            `kthread: ${r.batches} batch${r.batches === 1 ? '' : 'es'} (≤ 8 each), ${r.processed} processed`,
            r.lastBatch
              ? `; last ${r.lastBatch.processed}${r.lastBatch.verdicts ? ` — ${verdictText(r.lastBatch.verdicts)}` : ''}`
              : '',
            r.verdicts && r.batches > 1 ? `; program total ${verdictText(r.verdicts)}` : '',
          ),
        ),
      ),
    ),
  );
}

function cpuCard(c: CpuState, active: boolean): VNode {
  const run = c.run;
  const ri = run?.redirect;
  const step1 = run
    ? ri
      ? `${ri.map ? `${ri.map}[${ri.key}]` : `ifindex ${ri.key}`} → ${ri.target.replace(/^\w+:/, '')}`
      : run.miss
        ? run.miss.text
        : `${run.action} (no redirect info)`
    : '—';
  return h(
    'article',
    {
      class: `cpu${active ? ' active' : ''}${c.poll || c.rings.length ? '' : ' idle'}`,
      'aria-label': `CPU ${c.cpu}`,
    },
    h(
      'header',
      {},
      h('strong', {}, `CPU ${c.cpu}`),
      h('span', { class: 'muted' }, c.poll ? ` poll ${c.poll.device} (${c.poll.frames})` : ' idle'),
    ),
    h(
      'div',
      { class: 'step' },
      h('span', { class: 'step-n' }, '1'),
      h('span', { class: 'step-t' }, 'redirect info '),
      h('code', {}, step1),
    ),
    h(
      'div',
      { class: 'step' },
      h('span', { class: 'step-n' }, '2'),
      h('span', { class: 'step-t' }, 'bulk queues'),
      c.queues.length
        ? h(
            'ul',
            { class: 'queues' },
            c.queues.map((q) =>
              h(
                'li',
                { class: q.lastErr || q.drops ? 'danger' : '' },
                h('span', { class: 'q-name' }, q.id),
                h('meter', {
                  min: 0,
                  max: q.capacity,
                  value: q.fill,
                  'aria-label': `${q.id} holds ${q.fill} of ${q.capacity}`,
                }),
                h('span', { class: 'q-fill' }, `${q.fill}/${q.capacity}`),
                h(
                  'span',
                  { class: 'q-sent muted' },
                  `sent ${q.sent}${q.drops ? ` ✕${q.drops}` : ''}${q.lastErr ? ` ${q.lastErr}` : ''}`,
                ),
              ),
            ),
          )
        : h('span', { class: 'muted' }, ' empty'),
    ),
    h(
      'div',
      { class: 'step' },
      h('span', { class: 'step-n' }, '3'),
      h('span', { class: 'step-t' }, 'flush '),
      h(
        'span',
        { class: c.flushed ? 'ok' : 'muted' },
        c.poll ? (c.flushed ? 'done (xdp_do_flush)' : 'pending until the poll ends') : '—',
      ),
    ),
    ringsStep(c),
    h(
      'footer',
      { class: 'muted' },
      `polls ${c.totals.polls} · runs ${c.totals.runs} · enq ${c.totals.enqueued} · sent ${c.totals.sent} · ✕ ${c.totals.dropped}`,
    ),
  );
}

/** The kept timeline's redirect-map misses: how many, and a button to the next one after the cursor. */
function missesLine(model: VisModel, t: number): VNode | false {
  if (!model.misses?.frames) return false;
  let first = -1;
  let next = -1;
  let kept = 0;
  model.timeline.forEach((e, i) => {
    if (e.k !== 'run' || !e.miss) return;
    kept++;
    if (first < 0) first = i;
    if (next < 0 && i > t) next = i;
  });
  if (!kept) return false;
  const to = next >= 0 ? next : first;
  return h(
    'p',
    { class: 'timeline-misses' },
    `⚠ ${kept} redirect-map miss${kept === 1 ? '' : 'es'} in these events `,
    h(
      'button',
      { type: 'button', class: 'link', 'data-action': 'goto', 'data-t': to, 'data-next-miss': to },
      next >= 0 ? `next at event ${to + 1}` : `first at event ${to + 1}`,
    ),
  );
}

export function timelineView(model: VisModel, states: readonly CpuState[], t: number): VNode {
  const n = model.timeline.length;
  const ev = t >= 0 ? model.timeline[t] : undefined;
  return h(
    'section',
    { class: 'timeline', 'aria-label': 'Timeline' },
    h(
      'div',
      { class: 'scrub' },
      h('input', {
        type: 'range',
        id: 'scrub',
        min: -1,
        max: Math.max(0, n - 1),
        value: t,
        step: 1,
        'data-action': 'scrub',
        'aria-label': 'Timeline position',
        'aria-valuetext': `event ${t + 1} of ${n}: ${describeEvent(ev)}`,
        disabled: n === 0,
      }),
      h('span', { class: 'scrub-pos', 'data-t': t }, `${t + 1} / ${n}${model.timelineTruncated ? '+' : ''}`),
    ),
    h(
      'p',
      {
        class: `event-now${ev?.k === 'run' && ev.miss ? ' miss' : ''}`,
        'aria-live': 'polite',
        ...(ev?.k === 'run' && ev.miss ? { title: ev.miss.why } : {}),
      },
      describeEvent(ev),
    ),
    missesLine(model, t),
    model.timelineTruncated &&
      h(
        'p',
        { class: 'muted' },
        `Only the first ${n} events are kept (xdpLab.simulation.maxEvents); the counters cover every frame.`,
      ),
    h(
      'div',
      { class: 'cpus' },
      states.map((c) => cpuCard(c, ev?.cpu === c.cpu)),
    ),
  );
}
