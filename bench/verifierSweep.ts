// Our verifier beside the running kernel on a folder of BPF objects built from someone else's tests
// (the kernel's selftests: docs/verifier.md "The selftests sweep"): per XDP program the verdict, the
// first message, the source line, the processed insns, and the source's __success/__failure/__msg.
// Run as root, objects built beforehand (their sources never enter this repository):
//   flock /tmp/xdp-lab-kernel.lock node --import tsx bench/verifierSweep.ts --objects DIR
//     [--sources DIR] [--cache DIR] [--json OUT] [--only NAME,…]
// NAME.o is read from --objects, NAME.c (for the annotations) from --sources; --cache keeps the
// kernel's answers (keyed by the object's bytes) so a rerun after a change to our verifier asks the
// kernel nothing. Not a *.bench.ts: `npm run bench` does not run it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ProgramVerdict, VerifyReport } from '../src/core/verifier/verdict';
import { verifyObject } from '../src/core/verifier/verifyObject';
import { kernelBtfOptions } from '../src/node/kernelBtf';
import { kernelVerifyObject } from '../src/node/kernelVerify';

/** A test program's expectations as bpf_misc.h writes them (before its function name). */
interface Annotation {
  failure: boolean;
  success: boolean;
  msgs: string[];
}

/** The annotations of every SEC("…") function of a selftest source, by function name. */
export function annotations(src: string): Map<string, Annotation> {
  const out = new Map<string, Annotation>();
  for (const part of src.split(/\bSEC\(\s*"/).slice(1)) {
    const brace = part.indexOf('{');
    const head = part.slice(0, brace < 0 ? part.length : brace).trim();
    const fn = /([A-Za-z_]\w*)\s*\([^()]*\)\s*$/.exec(head);
    if (!fn?.[1]) continue;
    const msgs = [...head.matchAll(/__msg\("((?:[^"\\]|\\.)*)"\)/g)].map((m) =>
      (m[1] ?? '').replace(/\\(.)/g, '$1'),
    );
    out.set(fn[1], { failure: /\b__failure\b/.test(head), success: /\b__success\b/.test(head), msgs });
  }
  return out;
}

/** Why the kernel's answer is not the verifier's (libbpf or the loader failed around it), else undefined. */
function notAVerdict(k: ProgramVerdict | undefined, o: ProgramVerdict | undefined): string | undefined {
  const km = k?.error?.message ?? '';
  const om = o?.error?.message ?? '';
  if (km === 'the verifier rejected the program')
    return 'kernel: libbpf failed after the verifier (no complaint in the log)';
  if (km.startsWith('the program could not be loaded')) return `kernel: ${km}`;
  if (om.startsWith('libbpf:') || om.startsWith('the program could not be loaded')) return `ours: ${om}`;
  return undefined;
}

interface Row {
  object: string;
  program: string;
  kernel?: ProgramVerdict;
  ours?: ProgramVerdict;
  annotation?: Annotation;
  /** same | verdict | message | line | insns | not judged: … */
  outcome: string;
}

function judge(k: ProgramVerdict | undefined, o: ProgramVerdict | undefined): string {
  if (!k) return 'not judged: the kernel did not load it as XDP';
  if (!o) return 'not judged: ours has no such program';
  const why = notAVerdict(k, o);
  if (why) return `not judged: ${why}`;
  if (k.verdict !== o.verdict) return 'verdict';
  if (k.verdict === 'rejected' && k.error?.message !== o.error?.message) return 'message';
  if (k.verdict === 'rejected' && k.error?.line !== o.error?.line) return 'line';
  if (k.insnsProcessed !== o.insnsProcessed) return 'insns';
  return 'same';
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const objects = opt('--objects');
  if (!objects)
    throw new Error(
      'usage: verifierSweep.ts --objects DIR [--sources DIR] [--cache DIR] [--json OUT] [--only A,B]',
    );
  const sources = opt('--sources');
  const cache = opt('--cache');
  const only = opt('--only')?.split(',');
  if (cache) fs.mkdirSync(cache, { recursive: true });
  const rows: Row[] = [];
  const unreadable: string[] = [];
  const names = fs
    .readdirSync(objects)
    .filter((f) => f.endsWith('.o'))
    .map((f) => f.slice(0, -2))
    .filter((n) => !only || only.includes(n))
    .sort();
  for (const name of names) {
    const file = path.join(objects, `${name}.o`);
    const bytes = fs.readFileSync(file);
    const srcFile = sources ? path.join(sources, `${name}.c`) : undefined;
    const ann =
      srcFile && fs.existsSync(srcFile)
        ? annotations(fs.readFileSync(srcFile, 'utf8'))
        : new Map<string, Annotation>();
    let ours: VerifyReport | undefined;
    try {
      // CO-RE against the running kernel's BTF, as libbpf relocated what the kernel judged.
      // libbpf names the object's global-data maps from its file name (internal_map_name).
      ours = verifyObject(new Uint8Array(bytes), { objectName: name.split('.')[0], ...kernelBtfOptions() });
    } catch (e) {
      unreadable.push(`${name}: ours: ${(e as Error).message}`);
    }
    const key =
      cache && path.join(cache, `${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.json`);
    let kernel: VerifyReport | undefined;
    if (key && fs.existsSync(key)) kernel = JSON.parse(fs.readFileSync(key, 'utf8')) as VerifyReport;
    else {
      try {
        kernel = await kernelVerifyObject(file);
        if (key) fs.writeFileSync(key, JSON.stringify(kernel));
      } catch (e) {
        unreadable.push(`${name}: kernel: ${(e as Error).message}`);
      }
    }
    const progs = new Set([...(ours?.programs ?? []), ...(kernel?.programs ?? [])].map((p) => p.name));
    for (const program of progs) {
      const k = kernel?.programs.find((p) => p.name === program);
      const o = ours?.programs.find((p) => p.name === program);
      rows.push({
        object: name,
        program,
        kernel: k,
        ours: o,
        annotation: ann.get(program),
        outcome: judge(k, o),
      });
    }
  }
  const line = (p: ProgramVerdict | undefined): string =>
    !p
      ? '-'
      : p.verdict === 'accepted'
        ? `accepted ${p.insnsProcessed}`
        : `${p.error?.line ?? '?'}: ${(p.error?.message ?? '').split('\n')[0]}`;
  for (const r of rows)
    if (r.outcome !== 'same')
      console.log(
        `${r.object}:${r.program} [${r.outcome}]\n  kernel ${line(r.kernel)}\n  ours   ${line(r.ours)}`,
      );
  const count = (pred: (r: Row) => boolean): number => rows.filter(pred).length;
  const judged = rows.filter((r) => !r.outcome.startsWith('not judged'));
  const annotated = judged.filter((r) => r.annotation?.failure || r.annotation?.success);
  const annotationHolds = annotated.filter((r) =>
    r.annotation?.success
      ? r.kernel?.verdict === 'accepted'
      : r.kernel?.verdict === 'rejected' &&
        (r.annotation?.msgs ?? []).every((m) => (r.kernel?.error?.message ?? '').includes(m)),
  );
  console.log(
    `\nobjects ${names.length} (unreadable ${unreadable.length}), XDP programs ${rows.length}, judged ${judged.length}: ` +
      `same verdict ${count((r) => judged.includes(r) && r.outcome !== 'verdict')}, ` +
      `same verdict+message+line ${count((r) => r.outcome === 'same' || r.outcome === 'insns')}, ` +
      `same insns too ${count((r) => r.outcome === 'same')}; disagree: verdict ${count((r) => r.outcome === 'verdict')}, ` +
      `message ${count((r) => r.outcome === 'message')}, line ${count((r) => r.outcome === 'line')}, insns ${count((r) => r.outcome === 'insns')}; ` +
      `annotated ${annotated.length}, the kernel as XDP matches the annotation on ${annotationHolds.length}`,
  );
  for (const u of unreadable) console.log(`unreadable ${u}`);
  const json = opt('--json');
  if (json) fs.writeFileSync(json, JSON.stringify(rows, null, 1));
}

void main();
