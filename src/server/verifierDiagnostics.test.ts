// The note shown when "Verify in kernel" answers differently from our verifier (kernelDisagreement),
// and the CodeLens that carries it ("⚠ kernel disagrees"). The kernel's side is a VerifyResult as the
// Node toolchain builds it from bpftool's log ("PROG: complaint — next line", 0-based line).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProgramVerdict, VerifyReport } from '../core/verifier/verdict';
import type { VerifyResult } from '../protocol/lsp';
import { kernelDisagreement } from './verifierDiagnostics';

const PKT = 'invalid access to packet, off=23 size=1, R1(id=0,off=23,r=14)';
const rejected = (
  name: string,
  line: number,
  message = `${PKT}\nR1 offset is outside of the packet`,
): ProgramVerdict => ({
  name,
  section: 'xdp',
  verdict: 'rejected',
  insnsProcessed: 13,
  error: { message, insn: 12, file: '/w/prog.bpf.c', line, path: [] },
});
const accepted = (name: string): ProgramVerdict => ({
  name,
  section: 'xdp',
  verdict: 'accepted',
  insnsProcessed: 9,
});
const own = (...programs: ProgramVerdict[]): VerifyReport => ({ programs });
const kRejected = (program: string, line: number, complaint = PKT): VerifyResult => ({
  status: 'rejected',
  program,
  line,
  message: `${program}: ${complaint} — R1 offset is outside of the packet`,
  log: '',
});
const kAccepted: VerifyResult = {
  status: 'accepted',
  message: 'The kernel verifier accepted every program in prog.bpf.c.',
  log: '',
};

test('agreement (same verdict, line and words) is no note', () => {
  assert.equal(kernelDisagreement(own(rejected('p', 19)), kRejected('p', 18)), undefined);
  assert.equal(kernelDisagreement(own(accepted('p'), accepted('q')), kAccepted), undefined);
});

test('ours rejects what the kernel accepts: named, with our place and words', () => {
  assert.equal(
    kernelDisagreement(own(accepted('q'), rejected('p', 19)), kAccepted),
    `XDP Lab's verifier rejects p (/w/prog.bpf.c:19: ${PKT}\nR1 offset is outside of the packet) but the kernel accepted it.`,
  );
});

test('the kernel rejects what ours accepts; or at another line; or in other words', () => {
  assert.equal(
    kernelDisagreement(own(accepted('p')), kRejected('p', 18)),
    "The kernel rejects p at line 19 but XDP Lab's verifier accepted it.",
  );
  assert.equal(
    kernelDisagreement(own(rejected('p', 21)), kRejected('p', 18)),
    "The kernel rejects p at line 19; XDP Lab's verifier at line 21.",
  );
  assert.equal(
    kernelDisagreement(own(rejected('p', 19, "R0 invalid mem access 'scalar'")), kRejected('p', 18)),
    `The kernel rejects p at line 19 with "${PKT} — R1 offset is outside of the packet"; XDP Lab's verifier says "R0 invalid mem access 'scalar'".`,
  );
});

test('nothing to compare: no verdict of ours, a program we did not judge, the kernel not asked', () => {
  assert.equal(kernelDisagreement(undefined, kAccepted), undefined);
  assert.equal(kernelDisagreement(own(rejected('p', 19)), kRejected('other', 3)), undefined);
  const unavailable: VerifyResult = {
    status: 'unavailable',
    message: 'Verify in kernel needs Linux.',
    log: '',
  };
  assert.equal(kernelDisagreement(own(rejected('p', 19)), unavailable), undefined);
});
