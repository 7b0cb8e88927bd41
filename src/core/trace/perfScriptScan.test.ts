import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePerfScript, parsePerfScriptLine } from './perfScriptParse';
import { newAsciiView, viewLine } from './asciiView';
import { newCommCache, scanPerfLine, scanTable, type ScanTable } from './perfScriptScan';
import { tracepoints, xdpActionNames } from './tracepoints';

// Both readers of the fields: the code generated per tracepoint (what runs in Node and the extension
// host) and the table-driven one (what runs where generated code is forbidden).
const readers: [string, ScanTable][] = [
  ['generated', scanTable(tracepoints, xdpActionNames)],
  ['table-driven', scanTable(tracepoints, xdpActionNames, false)],
];

/** One line through the scanner alone, as parsePerfScript feeds it (undefined: left to the regex path). */
function scanOne(line: string, table: ScanTable): unknown {
  const view = newAsciiView();
  if (!viewLine(view, line, 0, line.length)) return undefined;
  return scanPerfLine(
    view.bytes,
    -view.base,
    line.length - view.base,
    table,
    newCommCache(),
    line,
    view.base,
  );
}

/** Each reader's result on one line: undefined (left to the regex path) or what the regex path gives. */
function assertScannersAgree(line: string, label: string): void {
  const ref = reference(line) as { events: unknown[] };
  for (const [name, table] of readers) {
    const r = scanOne(line, table);
    if (r !== undefined) assert.deepEqual([r], ref.events, `${name}: ${label}`);
  }
}

/** What the regex path alone makes of one line (the reference the in-place scanner must match). */
function reference(line: string): unknown {
  if (line.length === 0 || line.trimStart().startsWith('#')) return { events: [], errors: [] };
  try {
    return { events: [parsePerfScriptLine(line, 1)], errors: [] };
  } catch (e) {
    return { events: [], errors: [(e as Error).message] };
  }
}

const viaParse = (line: string): unknown => {
  const r = parsePerfScript(line);
  return { events: r.events, errors: r.errors.map((e) => e.message) };
};

const lines = [
  '         python3  4946 [000]  4241.000001: xdp:xdp_redirect: prog_id=130 action=REDIRECT ifindex=7 to_ifindex=9 err=0 map_id=29 map_index=3',
  '  ksoftirqd/1  22/23 [001] 12.5: 77 xdp:xdp_devmap_xmit: ndo_xdp_xmit from_ifindex=7 to_ifindex=9 action=REDIRECT sent=16 drops=0 err=0',
  'xdp:xdp_redirect_err: prog_id=130 action=REDIRECT ifindex=7 to_ifindex=9 err=-95 map_id=29 map_index=0',
  'xdp:xdp_cpumap_kthread: kthread cpu=1 map_id=3 action=REDIRECT processed=8 drops=0 sched=0 xdp_pass=8 xdp_drop=0 xdp_redirect=0  ',
  'xdp:xdp_exception: prog_id=3 action=0x1f ifindex=2',
  '# [000] 1.2: xdp:xdp_redirect: prog_id=1 action=TX ifindex=7 to_ifindex=9 err=0 map_id=29 map_index=3',
  'comm 12 [0] 1.2: xdp:xdp_redirect: prog_id=99999999999 action=REDIRECT ifindex=7 to_ifindex=9 err=0 map_id=29 map_index=3',
  'comm 12 [0] 1.2: xdp:xdp_redirect:  prog_id=1 action=REDIRECT ifindex=7 to_ifindex=9 err=0 map_id=29 map_index=3',
  'comm 12 [0] 1.2: xdp:xdp_redirect: prog_id=1 action=TXX ifindex=7 to_ifindex=9 err=0 map_id=29 map_index=3',
  'comm /12 [0] 1.2: xdp:xdp_redirect: prog_id=1 action=TX ifindex=7 to_ifindex=9 err=0 map_id=29 map_index=3',
  'x [a] [0] 1.2: xdp:xdp_redirect: prog_id=1 action=TX ifindex=7 to_ifindex=9 err=0 map_id=29 map_index=3',
  'comm 12 [0] 1.2: xdp:xdp_mem_connect: mem_id=1 mem_type=PAGE_POOL allocator=0xffff ifindex=3',
  'comm 12 [0] 1.2: xdp:xdp_redirect_map: prog_id=1',
  '\u00a0comm 12 [0] 1.2: xdp:xdp_redirect: prog_id=1 action=TX ifindex=7 to_ifindex=9 err=0 map_id=29 map_index=3',
  // One per check of the field readers: each must leave the line to the regex path (or read it as it does).
  'xdp:xdp_cpumap_kthread: kthread cpu=1 map_id=3 action=REDIRECT processed=-8 drops=0 sched=0 xdp_pass=8 xdp_drop=0 xdp_redirect=0',
  'xdp:xdp_cpumap_enqueue: enqueue cpu=1 map_id=3 action=PASS processed=4294967295 drops=4294967296 to_cpu=-2147483648',
  'xdp:xdp_cpumap_enqueue: enqueue cpu=1 map_id=3 action=PASS processed=4294967295 drops=0 to_cpu=-2147483649',
  'xdp:xdp_exception: prog_id=00000000001 action=DROP ifindex=2',
  'xdp:xdp_exception: prog_id=1 action=REDIRECTX ifindex=2',
  'xdp:xdp_exception: prog_id=1 action=REDIRECT_ ifindex=2',
  'xdp:xdp_exception: prog_id=1 action=drop ifindex=2',
  'xdp:xdp_exception: prog_id=1 action=ABORTED\tifindex=2',
  'xdp:xdp_exception: prog_id=1 action=ABORTED ifindex=2\t \t',
  'xdp:xdp_exception: prog_id=1 action=ABORTED ifindex=',
  'xdp:xdp_exception: prog_id=1 action=ABORTED ifindex=-',
  'xdp:xdp_exception: prog_id=1 action=ABORTED ifindey=2',
  'xdp:xdp_exception:prog_id=1 action=ABORTED ifindex=2',
  'xdp:xdp_exception:\tprog_id=1 action=ABORTED ifindex=2',
  'xdp:xdp_devmap_xmit: ndo_xdp_xmitfrom_ifindex=7 to_ifindex=9 action=REDIRECT sent=16 drops=0 err=0',
  'xdp:xdp_devmap_xmit: ndo_xdp_xmi from_ifindex=7 to_ifindex=9 action=REDIRECT sent=16 drops=0 err=0',
  'xdp:xdp_exceptio: prog_id=1 action=ABORTED ifindex=2',
  'xdp:xdp_exceptionn: prog_id=1 action=ABORTED ifindex=2',
  'xdp:xdp_exception',
  'comm 12 [0] 1.2: xdp:xdp_cpumap_enqueue: enqueue cpu=1 map_id=3 action=PASS processed=1 drops=2 to_cpu=3',
  'comm 12 [0] 1.2: xdp:xdp_cpumap_kthread: enqueue cpu=1 map_id=3 action=PASS processed=1 drops=2 to_cpu=3',
];

describe('perf-script in-place scanner (perfScriptScan.ts)', () => {
  it('gives what the regex path gives on well-formed and odd lines', () => {
    for (const l of lines) {
      assert.deepEqual(viaParse(l), reference(l), l);
      assertScannersAgree(l, l);
    }
  });

  it('reads the common lines in place, with either reader', () => {
    for (const [name, table] of readers)
      for (const l of lines.slice(0, 4)) assert.ok(scanOne(l, table) !== undefined, `${name}: ${l}`);
  });

  it('property: random edits of real lines parse exactly as the regex path parses them', () => {
    const alphabet = ' \t0123456789-/[]:.#xXAPTRabz_=\u00a0';
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      let l = lines[rnd(5)] as string;
      for (let k = 0, m = 1 + rnd(3); k < m; k++) {
        const p = rnd(l.length + 1);
        const ch = alphabet[rnd(alphabet.length)] as string;
        const op = rnd(3);
        l =
          op === 0
            ? l.slice(0, p) + ch + l.slice(p)
            : op === 1
              ? l.slice(0, p) + l.slice(p + 1)
              : l.slice(0, p) + ch + l.slice(p + 1);
      }
      assert.deepEqual(viaParse(l), reference(l), JSON.stringify(l));
      assertScannersAgree(l, JSON.stringify(l));
    }
  });
});
