import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptySummary } from '../trace/summary';
import { SimTrace } from './simTrace';
import type { SimEvent, SimSummary } from './simulationResult';

const summary = (): SimSummary => ({
  ...emptySummary(),
  devices: {},
  bulkTx: { sent: 0, drops: 0 },
  xsks: {},
  frames: { injected: 0, total: 0 },
  warnings: [],
});

/** The same event sequence: an exception, redirects (one failing), devmap transmits (one failing). */
function feed(t: SimTrace): void {
  const w = { id: 1, cpu: 0 };
  t.emit(w, { name: 'xdp:xdp_exception', prog_id: 3, act: 0, ifindex: 2 }, 1);
  for (let i = 0; i < 40; i++) t.redirect(w, 3, 2, 0, 4, 9, 0, 10 + i);
  t.redirect(w, 3, 2, -95, 5, 9, 1, 99);
  t.devmapXmit(w, 2, 4, 0, 16, 0, undefined);
  t.devmapXmit(w, 2, 4, 3, 13, 0, undefined);
  t.devmapXmit(w, 2, 5, 8, 0, -6, undefined);
  t.redirect(w, 3, 7, 0, 4, 9, 0, 200);
  t.fold();
}

describe('SimTrace: events counted always, built only when asked', () => {
  it('counting without events gives the summary (values and key order) that built events give', () => {
    const counted = summary();
    const quiet = new SimTrace(counted, 0, undefined);
    feed(quiet);
    const built = summary();
    const seen: SimEvent[] = [];
    const loud = new SimTrace(built, 0, (ev) => seen.push(ev));
    feed(loud);
    assert.equal(JSON.stringify(counted), JSON.stringify(built));
    assert.equal(quiet.seq, loud.seq, 'events are numbered either way');
    assert.equal(quiet.eventsDropped, seen.length, 'every event counted, none kept');
    assert.equal(counted.tracepoints['xdp:xdp_redirect'], 41);
    assert.equal(counted.flows['2>4']?.sent, 29);
  });

  it('keeps up to maxEvents, then counts the rest as dropped', () => {
    const t = new SimTrace(summary(), 10, undefined);
    feed(t);
    assert.equal(t.events.length, 10);
    assert.equal(t.eventsDropped, t.seq - 10);
  });
});
