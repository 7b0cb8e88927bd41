// `xdp-lab verify OBJ|FILE.c [--prog NAME] [-I DIR]… [-D NAME[=VALUE]]… [--kconfig FILE] [--json] [--kernel]` (cli.md "verify"): our own
// verifier's verdict per XDP program (core/verifier), or with --kernel the running kernel's, same shape.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorPlace } from '../../core/analysis/verdictText';
import { ElfError } from '../../core/elf/elfFile';
import type { ProgramVerdict, VerifyReport } from '../../core/verifier/verdict';
import { verifyObject } from '../../core/verifier/verifyObject';
import { LoadError } from '../../core/vm/vmFault';
import { kconfigOptionSpec, KCONFIG_USAGE, kernelOptions } from '../kernelOptions';
import { KernelVerifyUnavailable, kernelVerifyObject } from '../../node/kernelVerify';
import { RemoteVerifyError, remoteVerifyObject } from '../../node/ssh/remoteVerify';
import { parseSshTarget, targetLabel } from '../../node/ssh/sshTarget';
import { parseArgs, stringOption, type ParsedArgs } from '../args';
import { CliError, usageError } from '../cliError';
import type { CliCommand, CliIo } from '../command';
import { ensureHostKey, sshOptionSpec, sshOptionUsage, sshOptionsOf } from '../sshArgs';
import { objectBytes } from './run';

const NAME = 'verify';
const USAGE =
  'xdp-lab verify OBJ|FILE.c [--prog NAME] [-I DIR]… [-D NAME[=VALUE]]… [--kconfig FILE] [--json] [--kernel [--host [USER@]HOST[:PORT]]]\n\n' +
  "Judges every XDP program of the object (a .c file is compiled first) as Linux 6.18's verifier would,\n" +
  "with no kernel: verdict, source line and message in the kernel's words, and the branches that led there.\n" +
  '  --prog NAME   only this program\n' +
  '  -I DIR        include directory for compiling a .c file (repeatable; also --include DIR)\n' +
  '  -D NAME[=V]   a macro for compiling a .c file, as clang -D (repeatable; also --define NAME[=V]):\n' +
  '                one configuration of a program built with #ifdef knobs\n' +
  KCONFIG_USAGE +
  '  --kernel      ask the running kernel instead (root): loads each program through libbpf, nothing\n' +
  '                stays loaded; prints the same shape, so the two can be diffed\n' +
  "  --host H      ask H's kernel over ssh (implies --kernel; user@host:port or a Host alias of the ssh\n" +
  '                config): the object is copied into a tmp dir there and loaded by python3+libbpf1,\n' +
  '                else by bpftool; nothing stays loaded, pinned or written. The JSON says which kernel\n' +
  '                judged: "kernel": {"release", "host", "loader"}\n' +
  sshOptionUsage +
  '\nExit 0 when every program is accepted, 1 when any is rejected, 2 for bad input or a host that\n' +
  'cannot be asked (unreachable, refused key, no loader, not root and no sudo).';

/** `-I DIR`/`-IDIR` and `-D NAME[=V]`/`-DNAME[=V]` (clang's spellings) become `--include`/`--define`. */
function clangFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const long = a === '-I' ? '--include' : a === '-D' ? '--define' : undefined;
    if (long) {
      const v = argv[++i];
      if (v === undefined)
        throw usageError(NAME, a === '-I' ? '-I needs a directory' : '-D needs NAME[=VALUE]');
      out.push(long, v);
    } else if (a.startsWith('-I') && a.length > 2) out.push('--include', a.slice(2));
    else if (a.startsWith('-D') && a.length > 2) out.push('--define', a.slice(2));
    else out.push(a);
  }
  return out;
}

/** A macro as clang takes it: an identifier, optionally `=VALUE` (anything on one line). */
function checkDefine(d: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(=[^\n]*)?$/.test(d))
    throw usageError(NAME, `-D '${d}' is not NAME or NAME=VALUE (NAME: letters, digits, _)`);
  return d;
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
      clangFlags(argv),
      {
        prog: 'string',
        include: 'string[]',
        define: 'string[]',
        json: 'boolean',
        kernel: 'boolean',
        host: 'string',
        ...kconfigOptionSpec,
        ...sshOptionSpec,
      },
      NAME,
    );
    const [file, ...extra] = args.positionals;
    if (!file) throw usageError(NAME, 'missing OBJ or FILE.c (usage: xdp-lab verify OBJ|FILE.c)');
    if (extra.length) throw usageError(NAME, `one object at a time (unexpected '${extra[0]}')`);
    const program = stringOption(args, 'prog');
    const includes = (args.options.get('include') as string[] | undefined) ?? [];
    const defines = ((args.options.get('define') as string[] | undefined) ?? []).map(checkDefine);
    if (defines.length && !file.endsWith('.c'))
      throw usageError(NAME, `-D applies to compiling a .c file; ${file} is an object`);
    const kernel = kernelOptions(args);
    const bytes = await objectBytes(file, includes, io.signal, defines);

    // Our verifier first: it also validates the object (a malformed ELF is bad input, exit 2).
    let report: VerifyReport & { kernel?: { release: string } };
    try {
      // CO-RE against the same BTF as `run` (the running kernel's when readable), as libbpf does.
      // libbpf's object name, as --kernel's load names the object's global-data maps (askKernel).
      const objectName = path.basename(file).split('.')[0] ?? 'obj';
      report = verifyObject(bytes, {
        ...(program !== undefined ? { program } : {}),
        objectName,
        ...kernel,
      });
    } catch (e) {
      if (e instanceof ElfError || e instanceof LoadError) throw usageError(file, e.message);
      throw e;
    }
    if (!report.programs.length) {
      if (program === undefined) throw usageError(file, 'the object has no XDP program');
      const all = verifyObject(bytes, kernel).programs.map((p) => p.name);
      throw usageError(file, `no XDP program named '${program}' (programs: ${all.join(', ') || 'none'})`);
    }
    let judge: string | undefined;
    if (stringOption(args, 'host') !== undefined) {
      const remote = await askHost(args, bytes, program, io);
      report = remote;
      judge = `kernel ${remote.kernel.release} on ${remote.kernel.host} (${remote.kernel.loader})`;
    } else if (args.options.get('kernel')) {
      report = {
        ...(await askKernel(file, bytes, program, io.signal, stringOption(args, 'kconfig'))),
        kernel: { release: os.release() },
      };
      judge = `kernel ${os.release()} (local, libbpf)`;
    }

    if (args.options.get('json')) io.stdout(JSON.stringify(report) + '\n');
    else
      io.stdout((judge ? [`${judge}:`] : []).concat(report.programs.flatMap(verdictLines)).join('\n') + '\n');
    return report.programs.some((p) => p.verdict === 'rejected') ? 1 : 0;
  },
};

async function askKernel(
  file: string,
  bytes: Uint8Array,
  program: string | undefined,
  signal: AbortSignal,
  kconfigFile: string | undefined,
): Promise<VerifyReport> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-verify-'));
  try {
    const obj = path.join(dir, path.basename(file).replace(/\.c$/, '.o'));
    writeFileSync(obj, bytes);
    return await kernelVerifyObject(obj, {
      ...(program !== undefined ? { program } : {}),
      ...(kconfigFile !== undefined ? { kconfigFile } : {}),
      signal,
    });
  } catch (e) {
    if (e instanceof KernelVerifyUnavailable) throw usageError('--kernel', e.message);
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `--host`: the host key first (cli.md: same rules as trace), then one ssh session that loads it there. */
async function askHost(
  args: ParsedArgs,
  bytes: Uint8Array,
  program: string | undefined,
  io: CliIo,
): ReturnType<typeof remoteVerifyObject> {
  const hostText = stringOption(args, 'host') as string;
  const target = parseSshTarget(hostText);
  if (typeof target === 'string') throw usageError(hostText, target);
  const ssh = sshOptionsOf(args, io);
  const log = (line: string): void => io.stderr(`xdp-lab: ${line}\n`);
  await ensureHostKey(target, ssh, args.options.get('accept-new-host-key') === true, log);
  try {
    const r = await remoteVerifyObject(target, ssh, bytes, {
      sudo: args.options.get('sudo') === true,
      ...(program !== undefined ? { program } : {}),
      signal: io.signal,
    });
    for (const n of r.notes) log(n);
    return r;
  } catch (e) {
    if (e instanceof RemoteVerifyError) throw new CliError(2, targetLabel(target), e.message);
    throw e;
  }
}
