// The analyzer's output on two 5,000-line files, as a JSON-able digest: the bench's generated file
// (bench/analysis.bench.ts, clean) and the analysis fixtures (ok + bad) repeated to 5,000 lines, so
// the digest carries every diagnostic code. test/unit/analysisSnapshot.test.ts compares it with the
// golden test/fixtures/analysis/snapshot5000.json, which only scripts/gen-analysis-snapshot.mjs writes
// (issue 16 goal 5: the cold didOpen got faster without changing what it reports).
import fs from 'node:fs';
import path from 'node:path';
import { generateXdpFile } from '../../bench/analysis.bench';
import type { Analysis } from '../../src/core/analysis/analyzer';
import { toLspDiagnostic } from '../../src/server/diagnostics';

const fixtures = path.resolve(__dirname, '../fixtures/analysis');
export const snapshotPath = path.join(fixtures, 'snapshot5000.json');
export const snapshotUri = 'untitled:snapshot5000.bpf.c';

/** The fixtures (ok, then bad, by name) concatenated and repeated until `lines` lines. */
export function fixturesFile(lines: number): string {
  const parts = ['ok', 'bad'].flatMap((dir) =>
    fs
      .readdirSync(path.join(fixtures, dir))
      .filter((f) => f.endsWith('.c'))
      .sort()
      .map((f) => fs.readFileSync(path.join(fixtures, dir, f), 'utf8')),
  );
  const out: string[] = [];
  for (let i = 0; out.length < lines; i++) out.push(...(parts[i % parts.length] ?? '').split('\n'));
  return out.slice(0, lines).join('\n');
}

export function corpus(): Record<string, string> {
  return { bench5000: generateXdpFile(5000), fixtures5000: fixturesFile(5000) };
}

/**
 * What the first diagnostics and the features after them read from an analysis: every diagnostic
 * whole (message, range, related, fixes), its LSP form, and the model's summary (programs with
 * their returns and body nodes, maps, calls, constants, structs).
 */
export function digest(a: Analysis, uri: string) {
  const m = a.model;
  const span = (s: { start: number; end: number }) => [s.start, s.end];
  return {
    diagnostics: a.diagnostics,
    lsp: a.diagnostics.map((d) => toLspDiagnostic(d, uri)),
    model: {
      includes: m.includes.map((i) => `${i.system ? '<' : '"'}${i.path} ${span(i.span).join('-')}`),
      functions: m.functions.map((f) => `${f.name} ${span(f.span).join('-')} ctx=${f.ctxParam ?? ''}`),
      programs: m.programs.map((p) => ({
        name: p.name,
        sec: p.sec?.name,
        xdp: p.xdp?.name,
        returns: p.returns.map((r) => r.startIndex).join(' '),
        bodyNodes: p.bodyNodes.map((n) => `${n.type}@${n.startIndex}`).join(' '),
      })),
      maps: m.maps.map((x) => ({
        name: x.name,
        style: x.style,
        type: x.type?.name,
        keySize: x.keySize,
        valueSize: x.valueSize,
        maxEntries: x.maxEntries,
        attrs: [...x.attrs].map(([k, v]) => `${k}=${v.value}`),
      })),
      calls: m.calls.map(
        (c) => `${c.name} ${c.inFunction ?? ''} ${c.args.length} ${span(c.nameSpan).join('-')}`,
      ),
      localCalls: [...m.localCalls].map(([k, v]) => `${k}: ${v.map((s) => s.from ?? '').join(',')}`),
      license: m.license?.value,
      constants: [...m.constants].map(([k, v]) => `${k}=${String(v)}`),
      structs: [...m.structs].map(([k, v]) => `${k} ${JSON.stringify(v)}`),
    },
  };
}
