// Compile-on-save and the verdicts on its object: clang's diagnostics, our verifier's (issue 11), the
// local kernel's ("Verify in kernel") and the verification host's, each kept until the next successful
// compile and published together (ServerSession.publish).
import { DiagnosticSeverity } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { verifyObject } from '../core/verifier/verifyObject';
import { didCompileNotification } from '../protocol/lsp';
import type {
  CompileResult,
  DidCompileParams,
  LanguageSettings,
  RemoteVerdictParams,
  VerifyParams,
  VerifyResult,
} from '../protocol/lsp';
import { compileFlags, sameBasis } from './compileBasis';
import type { CompileBasis } from './compileBasis';
import { clangDiagnostics } from './diagnostics';
import { remoteDiagnostics } from './remoteVerdict';
import { ignoreClosed } from './serverSession';
import type { ServerSession } from './serverSession';
import { kernelDisagreement, verifierDiagnostics } from './verifierDiagnostics';

/** Compiles the saved file; `basis` says what a successful compile was made from. */
export async function compileDoc(
  session: ServerSession,
  doc: TextDocument,
): Promise<{ result: CompileResult; basis?: CompileBasis }> {
  const toolchain = session.services.toolchain;
  const file = session.services.uriToPath?.(doc.uri);
  if (!toolchain || !file)
    return {
      result: {
        ok: false,
        errors: 0,
        warnings: 0,
        output: 'Compiling needs a saved file and the Node language server.',
      },
    };
  const s = session.state(doc.uri);
  s.compile?.abort();
  const ctrl = new AbortController();
  s.compile = ctrl;
  const settings = await session.settingsFor(doc.uri);
  // The text clang compiles, read before it starts; were the file written in between, the object
  // would not match a verdict's together with this text, so a verdict is dropped, never kept wrongly.
  const sourceText = await session.services.readDiskText?.(file);
  const outcome = await toolchain.compile(file, settings, session.workspaceFolders, ctrl.signal);
  if (s.compile === ctrl) s.compile = undefined;
  session.log(outcome.output);
  if (outcome.status === 'cancelled')
    return { result: { ok: false, errors: 0, warnings: 0, output: outcome.output } };
  if (outcome.status === 'missing') {
    if (!session.clangMissingShown) {
      session.clangMissingShown = true;
      session.connection.window.showInformationMessage(
        `XDP Lab: clang was not found (xdpLab.clang.path = "${settings.clang.path}"), so BPF C files are not compiled on save. Install it with: sudo apt-get install clang llvm libbpf-dev (Debian/Ubuntu) or sudo dnf install clang llvm libbpf-devel (Fedora).`,
      );
    }
    s.clangDiags = [];
    session.publish(doc.uri);
    return { result: { ok: false, errors: 0, warnings: 0, output: outcome.output } };
  }
  const lines = doc.getText().split('\n');
  s.clangDiags = clangDiagnostics(outcome.messages, file, (l) => lines[l] ?? '');
  let basis: CompileBasis | undefined;
  if (outcome.status === 'ok' && outcome.object) {
    if (sourceText !== undefined)
      basis = {
        text: sourceText,
        flags: compileFlags(settings, session.workspaceFolders),
        object: outcome.object,
      };
    runOwnVerifier(session, doc, file, outcome.object, lines, basis, settings);
    if (outcome.objectPath)
      void session.connection
        .sendNotification(didCompileNotification, {
          uri: doc.uri,
          objectPath: outcome.objectPath,
          generation: s.generation,
        } satisfies DidCompileParams)
        .catch(ignoreClosed);
  }
  session.publish(doc.uri);
  return {
    result: {
      ok: outcome.status === 'ok',
      objectPath: outcome.objectPath,
      errors: s.clangDiags.filter((d) => d.severity === DiagnosticSeverity.Error).length,
      warnings: s.clangDiags.filter((d) => d.severity === DiagnosticSeverity.Warning).length,
      output: outcome.output,
    },
    basis,
  };
}

/**
 * After a successful compile: our verifier's verdict replaces the last one. The kernel's answer is
 * stale unless this compile is of the same text, flags and object it was given for (a save without
 * changes, a watched-file event on a file just written: Verify in Kernel's answer used to vanish then).
 */
function runOwnVerifier(
  session: ServerSession,
  doc: TextDocument,
  file: string,
  object: Uint8Array,
  lines: string[],
  basis: CompileBasis | undefined,
  settings: LanguageSettings,
): void {
  const s = session.state(doc.uri);
  if (!sameBasis(s.kernelBasis, basis)) {
    s.verifierDiags = [];
    s.kernel = undefined;
    s.kernelBasis = undefined;
  }
  // The verification host's verdict was about the previous object: its answer on this one follows.
  s.generation++;
  s.remote = undefined;
  s.remoteDiags = [];
  try {
    const kconfig = settings.vm.kconfig
      ? { file: settings.vm.kconfig, sourceFile: file, workspaceFolders: session.workspaceFolders }
      : undefined;
    s.report = verifyObject(object, session.services.targetBtf?.(kconfig) ?? {});
  } catch (e) {
    // An object the loader refuses (e.g. CO-RE against kernel types): no verdict, said in the log.
    s.report = undefined;
    s.ownVerifierDiags = [];
    session.log(`xdp-lab verifier: cannot judge ${file}: ${e instanceof Error ? e.message : String(e)}`);
    session.refreshCodeLenses();
    return;
  }
  s.ownVerifierDiags = verifierDiagnostics(
    s.report,
    doc.uri,
    file,
    (l) => lines[l],
    (name) => session.programLine(doc, name),
  );
  session.refreshCodeLenses();
}

/** "Verify in kernel": compile, load with the local bpftool, and keep the kernel's rejection on its line. */
export async function verifyInKernel(session: ServerSession, params: VerifyParams): Promise<VerifyResult> {
  const doc = session.documents.get(params.uri);
  if (!doc) return { status: 'unavailable', message: `${params.uri} is not open.`, log: '' };
  const toolchain = session.services.toolchain;
  if (!toolchain)
    return {
      status: 'unavailable',
      message: 'Verify in kernel needs the Node language server (not available in the browser).',
      log: '',
    };
  const { result: c, basis } = await compileDoc(session, doc);
  if (!c.ok || !c.objectPath)
    return {
      status: 'compile-failed',
      message: c.errors
        ? `clang reported ${c.errors} error(s); fix them first.`
        : 'clang could not compile the file.',
      log: c.output,
    };
  const settings = await session.settingsFor(doc.uri);
  const r = await toolchain.verify(
    c.objectPath,
    session.pathOf(doc.uri),
    settings,
    new AbortController().signal,
  );
  session.log(r.log);
  const s = session.state(doc.uri);
  s.verifierDiags = [];
  const disagreement = kernelDisagreement(s.report, r);
  s.kernel = { ...r, ...(disagreement ? { disagreement } : {}) };
  s.kernelBasis = basis;
  session.refreshCodeLenses();
  if (r.status === 'rejected') {
    const lineNo = r.line ?? (r.program !== undefined ? session.programLine(doc, r.program) : undefined) ?? 0;
    const text = doc.getText().split('\n')[lineNo] ?? '';
    const indent = text.length - text.trimStart().length;
    s.verifierDiags = [
      {
        range: {
          start: { line: lineNo, character: indent },
          end: { line: lineNo, character: text.length },
        },
        severity: DiagnosticSeverity.Error,
        source: 'verifier',
        message: `Kernel verifier: ${r.message} (full log in the XDP Lab output)`,
      },
    ];
  }
  session.publish(doc.uri);
  return s.kernel;
}

/** The verification host's kernel verdict on the object of one compile (xdpLab.verify.host). */
export function applyRemoteVerdict(session: ServerSession, p: RemoteVerdictParams): void {
  const doc = session.documents.get(p.uri);
  const s = session.states.get(p.uri);
  if (!doc || !s || p.generation !== s.generation) return; // closed, or about an older object
  const lines = doc.getText().split('\n');
  s.remote = p;
  s.remoteDiags = remoteDiagnostics(
    p,
    s.report,
    doc.uri,
    session.pathOf(doc.uri),
    (l) => lines[l],
    (name) => session.programLine(doc, name),
  );
  session.publish(doc.uri);
  session.refreshCodeLenses();
}
