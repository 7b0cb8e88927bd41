// Round trip of the tracepoint text form: format(event) parses back to the same event, for every
// tracepoint of the table and arbitrary field values; known real lines parse to known fields.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatEvent, formatEventFields, tracepoints, type XdpEvent } from './tracepoints';
import { parsePerfScript, parsePerfScriptLine, TraceParseError } from './perfScriptParse';

const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

function arbEvent(): fc.Arbitrary<XdpEvent> {
  return fc.constantFrom(...tracepoints).chain((t) => {
    const rec: Record<string, fc.Arbitrary<unknown>> = { name: fc.constant(t.name) };
    for (const item of t.items) {
      if (item.print === 'd') rec[item.field] = i32;
      else if (item.print === 'u') rec[item.field] = u32;
      else if (item.print === 'act') rec[item.field] = fc.integer({ min: 0, max: 7 });
      else if (item.print === 'memType') rec[item.field] = fc.integer({ min: 0, max: 5 });
      else if (item.print === 'p')
        rec[item.field] = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => `0x${v.toString(16)}`);
      else
        rec[item.field] = fc
          .string({ unit: 'grapheme-ascii' })
          .map((s) => s.replace(/[\r\n]/g, ' ').trimEnd());
    }
    return fc.record(rec) as unknown as fc.Arbitrary<XdpEvent>;
  });
}

describe('tracepoint text form', () => {
  it('formats the examples of the spec exactly', () => {
    assert.equal(
      formatEvent({
        name: 'xdp:xdp_redirect',
        prog_id: 1,
        act: 4,
        ifindex: 7,
        to_ifindex: 9,
        err: 0,
        map_id: 1,
        map_index: 0,
      }),
      'xdp:xdp_redirect: prog_id=1 action=REDIRECT ifindex=7 to_ifindex=9 err=0 map_id=1 map_index=0',
    );
    assert.equal(
      formatEventFields({
        name: 'xdp:xdp_devmap_xmit',
        from_ifindex: 7,
        act: 4,
        to_ifindex: 9,
        drops: 0,
        sent: 1,
        err: 0,
      }),
      'ndo_xdp_xmit from_ifindex=7 to_ifindex=9 action=REDIRECT sent=1 drops=0 err=0',
    );
    assert.equal(
      formatEventFields({
        name: 'xdp:xdp_cpumap_enqueue',
        map_id: 3,
        act: 4,
        cpu: 0,
        drops: 4,
        processed: 8,
        to_cpu: 0,
      }),
      'enqueue cpu=0 map_id=3 action=REDIRECT processed=8 drops=4 to_cpu=0',
    );
  });

  it('parses a real perf script line with its header', () => {
    const r = parsePerfScriptLine(
      '            ping  4946 [001]  4241.740879: xdp:xdp_redirect: prog_id=130 action=REDIRECT ifindex=7 to_ifindex=9 err=0 map_id=29 map_index=0',
      1,
    );
    assert.deepEqual(r.header, { comm: 'ping', pid: 4946, cpu: 1, time: '4241.740879' });
    assert.deepEqual(r.event, {
      name: 'xdp:xdp_redirect',
      prog_id: 130,
      act: 4,
      ifindex: 7,
      to_ifindex: 9,
      err: 0,
      map_id: 29,
      map_index: 0,
    });
    const withSpaces = parsePerfScriptLine(
      ' Web Content  12/13 [000] 1.000001: xdp:xdp_redirect_err: prog_id=2 action=REDIRECT ifindex=3 to_ifindex=5 err=-95 map_id=2147483647 map_index=0',
      2,
    );
    assert.equal(withSpaces.header?.comm, 'Web Content');
    assert.equal((withSpaces.event as { map_id: number }).map_id, 2147483647);
  });

  it('round-trips every tracepoint through its text form, bare and with a perf header', () => {
    fc.assert(
      fc.property(arbEvent(), fc.integer({ min: 1, max: 99999 }), (ev, pid) => {
        const line = formatEvent(ev);
        const expected = { ...ev } as Record<string, unknown>;
        // Signed fields print as int32, unsigned as uint32 — the generators stay in range, so equal.
        assert.deepEqual(parsePerfScriptLine(line, 1).event, expected);
        const withHeader = `   swapper/0 ${pid} [000] 12.345678: ${line}`;
        assert.deepEqual(parsePerfScriptLine(withHeader, 1).event, expected);
      }),
    );
  });

  it('names the line of garbage and truncated input without throwing', () => {
    const text = [
      'ping 1 [000] 1.0: xdp:xdp_redirect: prog_id=1 action=REDIRECT ifindex=7 to_ifindex=9 err=0 map_id=1 map_index=0',
      'ping 1 [000] 1.0: xdp:xdp_redirect: prog_id=1 action=REDIRECT ifindex=7 to_ifin',
      'complete garbage',
      'ping 1 [000] 1.0: xdp:xdp_redirect_map_err: prog_id=1',
      'ping 1 [000] 1.0: xdp:xdp_exception: prog_id=1 action=BOGUS ifindex=3',
      '',
    ].join('\n');
    const r = parsePerfScript(text);
    assert.equal(r.events.length, 1);
    assert.deepEqual(
      r.errors.map((e) => e.line),
      [2, 3, 4, 5],
    );
    assert.match(r.errors[2]?.message ?? '', /removed from the kernel in 6\.16/);
    assert.match(r.errors[3]?.message ?? '', /action=BOGUS/);
  });

  it('never throws anything but TraceParseError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        try {
          parsePerfScriptLine(s, 7);
        } catch (e) {
          assert.ok(e instanceof TraceParseError);
          assert.equal(e.line, 7);
        }
        const r = parsePerfScript(s);
        assert.ok(r.errors.every((e) => e instanceof TraceParseError));
      }),
    );
  });

  it('truncating a valid line at any point gives a named error or a shorter valid line', () => {
    const line = formatEvent({
      name: 'xdp:xdp_devmap_xmit',
      from_ifindex: 7,
      act: 4,
      to_ifindex: 9,
      drops: 0,
      sent: 16,
      err: 0,
    });
    for (let n = 0; n < line.length; n++) {
      const r = parsePerfScript(line.slice(0, n));
      if (r.events.length === 0 && n > 0) assert.equal(r.errors[0]?.line, 1);
    }
  });
});
