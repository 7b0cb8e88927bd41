// Predicted vs observed rows: tracepoints, errnos and flows matched by device name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareSummaries } from './compareSummary';
import { summarize } from './summary';

describe('compare with simulation', () => {
  it('matches flows by device name across different ifindexes', () => {
    const predicted = summarize([
      {
        name: 'xdp:xdp_redirect_err',
        prog_id: 1,
        act: 4,
        ifindex: 3,
        to_ifindex: 5,
        err: -95,
        map_id: 1,
        map_index: 0,
      },
      {
        name: 'xdp:xdp_redirect_err',
        prog_id: 1,
        act: 4,
        ifindex: 3,
        to_ifindex: 5,
        err: -95,
        map_id: 1,
        map_index: 0,
      },
    ]);
    const observed = summarize([
      {
        name: 'xdp:xdp_redirect_err',
        prog_id: 9,
        act: 4,
        ifindex: 5003,
        to_ifindex: 5005,
        err: -95,
        map_id: 7,
        map_index: 0,
      },
      {
        name: 'xdp:xdp_redirect',
        prog_id: 9,
        act: 4,
        ifindex: 5003,
        to_ifindex: 5005,
        err: 0,
        map_id: 7,
        map_index: 0,
      },
    ]);
    const rows = compareSummaries(predicted, observed, {
      predicted: { '3': 'r1', '5': 'r2' },
      observed: { '5003': 'r1', '5005': 'r2' },
    });
    const row = (section: string, key: string) => rows.find((r) => r.section === section && r.key === key);
    assert.deepEqual(row('tracepoint', 'xdp:xdp_redirect_err'), {
      section: 'tracepoint',
      key: 'xdp:xdp_redirect_err',
      predicted: 2,
      observed: 1,
    });
    assert.deepEqual(row('tracepoint', 'xdp:xdp_redirect'), {
      section: 'tracepoint',
      key: 'xdp:xdp_redirect',
      predicted: 0,
      observed: 1,
    });
    assert.deepEqual(row('errno', 'xdp:xdp_redirect_err EOPNOTSUPP'), {
      section: 'errno',
      key: 'xdp:xdp_redirect_err EOPNOTSUPP',
      predicted: 2,
      observed: 1,
    });
    assert.deepEqual(row('flow', 'r1 → r2 EOPNOTSUPP'), {
      section: 'flow',
      key: 'r1 → r2 EOPNOTSUPP',
      predicted: 2,
      observed: 1,
    });
    assert.deepEqual(row('flow', 'r1 → r2 redirected'), {
      section: 'flow',
      key: 'r1 → r2 redirected',
      predicted: 0,
      observed: 1,
    });
    assert.equal(row('tracepoint', 'xdp:xdp_exception'), undefined, 'zero on both sides is left out');
  });
});
