// The words every shell uses for the verifier's verdict (core/verifier/verdict.ts): the CLI's
// `verify` lines and run/simulate warning, the CodeLens title, the visualizer and playground notes.
import type { ProgramVerdict, VerifierError, VerifyOptions, VerifyReport } from '../verifier/verdict';
import { verifyObject } from '../verifier/verifyObject';

/** "file.c:17" from BTF line info, else "insn 12". */
export function errorPlace(e: VerifierError): string {
  if (e.line !== undefined) return `${e.file ?? '?'}:${e.line}`;
  return `insn ${e.insn}`;
}

/** "xdp_prog: file.c:17: invalid access to packet, …" on one line (a message's lines joined by " — "). */
export function rejectionText(p: ProgramVerdict): string | undefined {
  return p.error
    ? `${p.name}: ${errorPlace(p.error)}: ${p.error.message.split('\n').join(' — ')}`
    : undefined;
}

/** The run/simulate warning (issue 11): a program the verifier rejects still runs, with this said. */
export function rejectionWarning(p: ProgramVerdict): string | undefined {
  const t = rejectionText(p);
  return p.verdict === 'rejected' && t ? `the kernel's verifier would reject ${t}` : undefined;
}

/** CodeLens and status text: "✓ verifier: accepted (26 insns)" / "✗ verifier: <message>". */
export function verdictTitle(p: ProgramVerdict): string {
  if (p.verdict === 'accepted') return `✓ verifier: accepted (${p.insnsProcessed} insns)`;
  return `✗ verifier: ${p.error?.message.split('\n')[0] ?? 'rejected'}`;
}

/**
 * Our verifier's warning for one program of an object about to run, or undefined when it is
 * accepted or the verifier cannot judge the object (the loader of the run reports that itself).
 */
export function verifierWarning(
  bytes: Uint8Array,
  program: string,
  btf: Pick<VerifyOptions, 'targetBtf' | 'targetBtfName'> = {},
): string | undefined {
  let report: VerifyReport;
  try {
    // The run's own target BTF: CO-RE resolved as the run resolved it (issue 11).
    report = verifyObject(bytes, { ...btf, program });
  } catch {
    return undefined;
  }
  const p = report.programs.find((x) => x.name === program);
  return p ? rejectionWarning(p) : undefined;
}
