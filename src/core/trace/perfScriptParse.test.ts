// Whole-text behaviours of the perf-script parser that a capture meets: perf's own header lines,
// CRLF, a partial last line, unknown and removed tracepoints, huge fields and lines, the error cap;
// each bad line is named by its number and why, and nothing but TraceParseError is ever raised.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePerfScript, parsePerfScriptLine, TraceParseError } from './perfScriptParse';

const redirect = (i: number): string =>
  `         python3  ${4946 + i} [00${i % 2}]  4241.00000${i}: xdp:xdp_redirect: prog_id=130 action=REDIRECT ifindex=7 to_ifindex=9 err=0 map_id=29 map_index=${i}`;

describe('parsePerfScript over a whole capture', () => {
  it("skips perf's header lines and blank lines, reads every event after them", () => {
    const text = [
      '# ========',
      '# captured on    : Sun Dec  6 14:00:00 2026',
      '# cmdline : /usr/bin/perf record -a -e xdp:*',
      '# ========',
      '#',
      '',
      redirect(1),
      '',
      redirect(2),
    ].join('\n');
    const r = parsePerfScript(text);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.events.map((e) => [
        e.header?.pid,
        e.header?.cpu,
        e.header?.time,
        (e.event as { map_index: number }).map_index,
      ]),
      [
        [4947, 1, '4241.000001', 1],
        [4948, 0, '4241.000002', 2],
      ],
    );
  });

  it('reads CRLF text as LF text (the CR is not part of the last field)', () => {
    const lf = [redirect(1), redirect(2), 'xdp:xdp_exception: prog_id=3 action=0x1f ifindex=2', ''].join(
      '\n',
    );
    const crlf = lf.replace(/\n/g, '\r\n');
    assert.deepEqual(parsePerfScript(crlf), parsePerfScript(lf));
    assert.equal(parsePerfScript(crlf).events.length, 3);
  });

  it('keeps every event before a partial last line and names that line', () => {
    const whole = redirect(3);
    for (const cut of [whole.length - 1, whole.indexOf('xdp:') + 10, 20]) {
      const r = parsePerfScript(`${redirect(1)}\n${redirect(2)}\n${whole.slice(0, cut)}`);
      assert.equal(r.events.length, 2, `cut at ${cut}`);
      assert.equal(r.errors.length, 1);
      assert.equal(r.errors[0]?.line, 3);
    }
  });

  it('names unknown and removed tracepoints by line, and goes on', () => {
    const r = parsePerfScript(
      [
        'ping 1 [000] 1.0: xdp:xdp_frobnicate: prog_id=1',
        redirect(1),
        'ping 1 [000] 1.0: xdp:xdp_redirect_map: prog_id=1',
        'xdp:nope: a=1',
      ].join('\n'),
    );
    assert.equal(r.events.length, 1);
    assert.deepEqual(
      r.errors.map((e) => [e.line, e.why]),
      [
        [1, 'unknown tracepoint xdp:xdp_frobnicate'],
        [3, 'xdp:xdp_redirect_map was removed from the kernel in 6.16'],
        [4, 'unknown tracepoint xdp:nope'],
      ],
    );
  });

  it('reads a huge field whole, and cuts a huge bad line in its message', () => {
    const msg = 'x'.repeat(1 << 20);
    const r = parsePerfScript(
      `ping 1 [000] 1.0: xdp:bpf_xdp_link_attach_failed: errmsg=${msg}\n${redirect(1)}`,
    );
    assert.deepEqual(r.errors, []);
    assert.equal((r.events[0]?.event as { msg: string }).msg, msg);
    const digits = '9'.repeat(1 << 20);
    const bad = parsePerfScript(
      `${redirect(1)}\nping 1 [000] 1.0: xdp:xdp_redirect: prog_id=${digits} action=TX ifindex=7 to_ifindex=9 err=0 map_id=29 map_index=0`,
    );
    assert.equal(bad.events.length, 1);
    assert.equal(bad.errors[0]?.line, 2);
    assert.match(bad.errors[0]?.why ?? '', /^prog_id=9{37}\.\.\. is out of range$/);
    assert.ok((bad.errors[0]?.message.length ?? 0) < 200, 'the message quotes at most 120 chars of the line');
  });

  it('keeps at most maxErrors errors and still reads every good line', () => {
    const lines: string[] = [];
    for (let i = 0; i < 50; i++) lines.push('garbage', redirect(i % 10));
    const r = parsePerfScript(lines.join('\n'), 5);
    assert.equal(r.events.length, 50);
    assert.deepEqual(
      r.errors.map((e) => e.line),
      [1, 3, 5, 7, 9],
    );
    assert.ok(
      r.errors.every((e) => e instanceof TraceParseError && /not a perf script event line/.test(e.message)),
    );
  });

  it('reuses one comm string across lines, and tells comms of equal width apart', () => {
    const r = parsePerfScript(
      [
        '   ping  1 [000] 1.0: xdp:xdp_exception: prog_id=1 action=DROP ifindex=2',
        '   pong  2 [000] 1.0: xdp:xdp_exception: prog_id=1 action=DROP ifindex=2',
        '   ping  3 [000] 1.0: xdp:xdp_exception: prog_id=1 action=DROP ifindex=2',
        ' a ping  4 [000] 1.0: xdp:xdp_exception: prog_id=1 action=DROP ifindex=2',
      ].join('\n'),
    );
    assert.deepEqual(
      r.events.map((e) => e.header?.comm),
      ['ping', 'pong', 'ping', 'a ping'],
    );
  });
});

describe('parsePerfScript beyond ASCII and across blocks', () => {
  /** What the regex path alone makes of each line (the reference of the in-place scanner). */
  const lineByLine = (text: string): unknown[] =>
    text
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l, i) => parsePerfScriptLine(l, i + 1));

  it('reads non-ASCII comms (regex path) and every ASCII line around them, in any block', () => {
    const lines: string[] = [];
    // > 2 blocks of 64 Ki chars; a non-ASCII comm now and then, one on a block's edge.
    for (let i = 0; i < 2000; i++)
      lines.push(i % 333 === 5 ? redirect(i % 10).replace('python3', 'pythön3') : redirect(i % 10));
    const text = lines.join('\n');
    const r = parsePerfScript(text);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.events, lineByLine(text));
    assert.equal(r.events[5]?.header?.comm, 'pythön3');
    assert.equal(r.events[6]?.header?.comm, 'python3');
  });

  it('reads a line longer than a block, and lines that straddle block edges', () => {
    const long = `xdp:bpf_xdp_link_attach_failed: errmsg=${'é'.repeat(70_000)}`;
    const pad = (n: number): string =>
      `ping 1 [000] 1.0: xdp:xdp_exception: prog_id=${'0'.repeat(n)}1 action=DROP ifindex=2`;
    const lines = [redirect(1), long, redirect(2)];
    for (let n = 0; n < 600; n++) lines.push(pad(n % 9), redirect(n % 10));
    const text = lines.join('\n');
    const r = parsePerfScript(text);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.events, lineByLine(text));
  });
});
