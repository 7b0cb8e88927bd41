// Saved captures: validation names the bad field; the CSV export quotes and defuses cells.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { captureCsv, checkCaptureFile, type CaptureFile } from './captureFile';
import { summarize } from './summary';

/** The refusal reason, or a marker that fails the match when the input was accepted. */
const reason = (r: unknown): string => (typeof r === 'string' ? r : '(accepted)');

const capture: CaptureFile = {
  format: 'xdp-lab-capture',
  version: 1,
  host: 'lab',
  tool: 'bpftrace',
  kernel: '6.18.44',
  startedAt: '2026-11-25T13:00:00.000Z',
  durationSeconds: 10,
  status: 'complete',
  summary: summarize([
    {
      name: 'xdp:xdp_redirect_err',
      prog_id: 1,
      act: 4,
      ifindex: 7,
      to_ifindex: 9,
      err: -95,
      map_id: 1,
      map_index: 0,
    },
  ]),
  devices: { '7': '=cmd|x', '9': 'a,"0"' },
};

describe('capture file', () => {
  it('round-trips through JSON and refuses what is not a capture', () => {
    const back = checkCaptureFile(JSON.parse(JSON.stringify(capture)));
    assert.ok(typeof back !== 'string');
    assert.deepEqual(back.summary.tracepoints, capture.summary.tracepoints);
    assert.match(reason(checkCaptureFile({ format: 'other' })), /^format:/);
    assert.match(reason(checkCaptureFile({ ...capture, version: 2 })), /^version: 2 is not supported/);
    assert.match(
      reason(checkCaptureFile({ ...capture, summary: { tracepoints: { a: 'x' } } })),
      /^summary\.tracepoints\.a: not a number/,
    );
    assert.match(reason(checkCaptureFile({ ...capture, events: [1] })), /^events:/);
  });

  it('exports CSV with errno explanations, quoted and spreadsheet-safe cells', () => {
    const csv = captureCsv(capture);
    assert.match(csv, /^section,key,subkey,value,explanation\n/);
    assert.match(
      csv,
      /errno,xdp:xdp_redirect_err,EOPNOTSUPP,1,"target cannot transmit XDP frames \(no ndo_xdp_xmit\); fix: attach an XDP program/,
    );
    assert.ok(csv.includes(`flow,"'=cmd|x -> a,""0""",redirects,0`), csv);
  });
});
