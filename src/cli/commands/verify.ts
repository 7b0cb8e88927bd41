// `xdp-lab verify OBJ|FILE.c [--prog NAME] [-I DIR]… [--json] [--kernel]` (cli.md "verify"): our own
// verifier's verdict per XDP program (core/verifier), or with --kernel the running kernel's, same shape.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorPlace } from '../../core/analysis/verdictText';
import { ElfError } from '../../core/elf/elfFile';
import type { ProgramVerdict, VerifyReport } from '../../core/verifier/verdict';
import { verifyObject } from '../../core/verifier/verifyObject';
import { LoadError } from '../../core/vm/vmFault';
import { KernelVerifyUnavailable, kernelVerifyObject } from '../../node/kernelVerify';
import { parseArgs, stringOption } from '../args';
import { usageError } from '../cliError';
import type { CliCommand } from '../command';
import { objectBytes } from './run';

const NAME = 'verify';
const USAGE =
  'xdp-lab verify OBJ|FILE.c [--prog NAME] [-I DIR]… [--json] [--kernel]\n\n' +
  "Judges every XDP program of the object (a .c file is compiled first) as Linux 6.18's verifier would,\n" +
  "with no kernel: verdict, source line and message in the kernel's words, and the branches that led there.\n" +
  '  --prog NAME   only this program\n' +
  '  -I DIR        include directory for compiling a .c file (repeatable; also --include DIR)\n' +
  '  --kernel      ask the running kernel instead (root): loads each program through libbpf, nothing\n' +
  '                stays loaded; prints the same shape, so the two can be diffed\n' +
  'Exit 0 when every program is accepted, 1 when any is rejected, 2 for bad input.';

/** `-I DIR` and `-IDIR` (clang's spelling) become `--include DIR`. */
function includeFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-I') {
      const dir = argv[++i];
      if (dir === undefined) throw usageError(NAME, '-I needs a directory');
      out.push('--include', dir);
    } else if (a.startsWith('-I') && a.length > 2) out.push('--include', a.slice(2));
    else out.push(a);
  }
  return out;
}

/** Human lines for one program: verdict, then `file:line: message` and the branches taken. */
export function verdictLines(p: ProgramVerdict): string[] {
  if (p.verdict === 'accepted')
    return [`${p.name} (${p.section}): accepted, ${p.insnsProcessed} instructions processed`];
  const lines = [`${p.name} (${p.section}): rejected after ${p.insnsProcessed} instructions`];
  if (!p.error) return lines;
  // A complaint of several lines (the kernel's own) keeps them, indented under the first.
  lines.push(`  ${errorPlace(p.error)}: ${p.error.message.split('\n').join('\n    ')}`);
  if (p.error.path.length) {
    lines.push('  path:');
    for (const s of p.error.path)
      lines.push(
        `    ${s.line !== undefined ? `${s.file ?? '?'}:${s.line}` : `insn ${s.insn}`}: ${s.text} (${s.taken ? 'taken' : 'not taken'})`,
      );
  }
  return lines;
}

export const verifyCommand: CliCommand = {
  name: NAME,
  summary: "Judge each XDP program as the kernel's verifier would (or ask the kernel: --kernel)",
  usage: USAGE,
  async run(argv, io) {
    const args = parseArgs(
      includeFlags(argv),
      { prog: 'string', include: 'string[]', json: 'boolean', kernel: 'boolean' },
      NAME,
    );
    const [file, ...extra] = args.positionals;
    if (!file) throw usageError(NAME, 'missing OBJ or FILE.c (usage: xdp-lab verify OBJ|FILE.c)');
    if (extra.length) throw usageError(NAME, `one object at a time (unexpected '${extra[0]}')`);
    const program = stringOption(args, 'prog');
    const includes = (args.options.get('include') as string[] | undefined) ?? [];
    const bytes = await objectBytes(file, includes, io.signal);

    // Our verifier first: it also validates the object (a malformed ELF is bad input, exit 2).
    let report: VerifyReport;
    try {
      report = verifyObject(bytes, program !== undefined ? { program } : {});
    } catch (e) {
      if (e instanceof ElfError || e instanceof LoadError) throw usageError(file, e.message);
      throw e;
    }
    if (!report.programs.length) {
      if (program === undefined) throw usageError(file, 'the object has no XDP program');
      const all = verifyObject(bytes).programs.map((p) => p.name);
      throw usageError(file, `no XDP program named '${program}' (programs: ${all.join(', ') || 'none'})`);
    }
    if (args.options.get('kernel')) report = await askKernel(file, bytes, program, io.signal);

    if (args.options.get('json')) io.stdout(JSON.stringify(report) + '\n');
    else io.stdout(report.programs.flatMap(verdictLines).join('\n') + '\n');
    return report.programs.some((p) => p.verdict === 'rejected') ? 1 : 0;
  },
};

async function askKernel(
  file: string,
  bytes: Uint8Array,
  program: string | undefined,
  signal: AbortSignal,
): Promise<VerifyReport> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-verify-'));
  try {
    const obj = path.join(dir, path.basename(file).replace(/\.c$/, '.o'));
    writeFileSync(obj, bytes);
    return await kernelVerifyObject(obj, { ...(program !== undefined ? { program } : {}), signal });
  } catch (e) {
    if (e instanceof KernelVerifyUnavailable) throw usageError('--kernel', e.message);
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
