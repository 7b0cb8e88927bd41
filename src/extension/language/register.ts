// XDP C language support, client side: the language client (started on the first BPF C document,
// over IPC) and the commands that talk to the server: restart, compile with clang, verify in kernel.
import * as vscode from 'vscode';
import { LanguageClient, TransportKind } from 'vscode-languageclient/node';
import type { LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';
import { compileRequest, didCompileNotification, logNotification, verifyRequest } from '../../protocol/lsp';
import type {
  CompileParams,
  CompileResult,
  DidCompileParams,
  LogParams,
  VerifyParams,
  VerifyResult,
} from '../../protocol/lsp';
import { readConfig } from '../config';
import { output } from '../output';
import { compileFailure } from '../nextStep';
import { offer, requireProgram } from '../preconditions';
import { attachClangdStatus, offerClangdConfig, registerClangd } from './clangd';

type RemoteVerifyModule = typeof import('./remoteVerify');
let remoteVerify: Promise<RemoteVerifyModule> | undefined;

let client: LanguageClient | undefined;
let starting: Promise<LanguageClient> | undefined;

/** The server decides precisely (isBpfSource); this only avoids starting it for unrelated C files. */
function looksLikeBpf(doc: vscode.TextDocument): boolean {
  if (doc.languageId !== 'c') return false;
  if (doc.fileName.endsWith('.bpf.c')) return true;
  const head = doc.getText().slice(0, 20000);
  return /#\s*include\s*[<"]bpf\/bpf_helpers\.h[>"]/.test(head) || /\bSEC\s*\(\s*"/.test(head);
}

function startClient(context: vscode.ExtensionContext): Promise<LanguageClient> {
  if (client) return Promise.resolve(client);
  starting ??= (async () => {
    const module = context.asAbsolutePath('dist/server.js');
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.{c,h}');
    context.subscriptions.push(watcher);
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      // All C documents go to the server, which answers only for BPF programs; clangd/cpptools keep theirs.
      documentSelector: [
        { language: 'c', scheme: 'file' },
        { language: 'c', scheme: 'untitled' },
      ],
      outputChannel: output(),
      traceOutputChannel: output(),
      // C sources and headers changed on disk or by another program: clang's diagnostics re-run (issue 12 item 5).
      synchronize: { fileEvents: watcher },
    };
    const c = new LanguageClient('xdpLab', 'XDP C Language Server', serverOptions, clientOptions);
    context.subscriptions.push(
      c.onNotification(logNotification, (p: LogParams) => output().info(p.text.trimEnd())),
      // xdpLab.verify.host: the host's kernel judges each compiled object too (loaded on first use).
      c.onNotification(didCompileNotification, (p: DidCompileParams) => {
        if (!readConfig(vscode.Uri.parse(p.uri)).verifyHost) return;
        remoteVerify ??= import('./remoteVerify').then((m) => {
          context.subscriptions.push({ dispose: m.disposeRemoteVerify });
          return m;
        });
        void remoteVerify
          .then((m) => m.verifyOnHost(context, c, p))
          .catch((e: unknown) =>
            output().error(`verify on host: ${e instanceof Error ? e.message : String(e)}`),
          );
      }),
    );
    await c.start();
    client = c;
    context.subscriptions.push({ dispose: () => void c.stop() }, attachClangdStatus(c));
    return c;
  })().catch((e: unknown) => {
    starting = undefined;
    const message = e instanceof Error ? e.message : String(e);
    output().error(`XDP C language server failed to start: ${message}`);
    void vscode.window.showErrorMessage(`XDP Lab: the XDP C language server failed to start: ${message}`);
    throw e;
  });
  return starting;
}

/** The C document a command acts on (preconditions.ts: the argument, the active one, the workspace's). */
async function targetDocument(command: string, uriArg: unknown): Promise<vscode.TextDocument | undefined> {
  const uri = await requireProgram(command, 'c', uriArg);
  if (!uri) return undefined;
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  // Opening it (not shown) hands it to the language server, which compiles only open documents.
  return open ?? vscode.workspace.openTextDocument(uri);
}

/** clang's words for a failed compile, from the server's compile output (its first error). */
function compileFailed(doc: vscode.TextDocument, r: { errors: number; output: string }): void {
  // The server logged clang's command line and output already (compileVerdicts.ts).
  if (r.errors) return void offer(compileFailure(doc.uri.fsPath, r.output));
  const last = r.output.trim().split('\n').pop() ?? '';
  void offer({
    message: `XDP Lab: clang could not compile ${vscode.workspace.asRelativePath(doc.uri)}${last ? `: ${last}` : ''}.`,
    steps: ['Show Output'],
  });
}

async function compile(context: vscode.ExtensionContext, uriArg?: unknown): Promise<void> {
  const doc = await targetDocument('Compile with clang', uriArg);
  if (!doc) return;
  await doc.save();
  const c = await startClient(context);
  const r = await c.sendRequest<CompileResult>(compileRequest, {
    uri: doc.uri.toString(),
  } satisfies CompileParams);
  if (r.ok)
    void vscode.window.showInformationMessage(
      `XDP Lab: compiled ${vscode.workspace.asRelativePath(doc.uri)}${r.warnings ? ` with ${r.warnings} warning(s)` : ''}.`,
    );
  else compileFailed(doc, r);
}

async function verify(context: vscode.ExtensionContext, uriArg?: unknown, fn?: unknown): Promise<void> {
  const doc = await targetDocument('Verify in Kernel', uriArg);
  if (!doc) return;
  await doc.save();
  const c = await startClient(context);
  const r = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: 'XDP Lab: loading the program into the kernel verifier…',
    },
    () =>
      c.sendRequest<VerifyResult>(verifyRequest, {
        uri: doc.uri.toString(),
        function: typeof fn === 'string' ? fn : undefined,
      } satisfies VerifyParams),
  );
  // Our verifier answered differently on the same object (issue 11): say so, visibly.
  if (r.disagreement) void vscode.window.showWarningMessage(`XDP Lab: ${r.disagreement}`);
  if (r.status === 'accepted') return void vscode.window.showInformationMessage(`XDP Lab: ${r.message}`);
  if (r.status === 'unavailable')
    return void offer({ message: `XDP Lab: ${r.message}`, steps: ['Show Output'] }, { level: 'info' });
  if (r.status === 'compile-failed')
    return compileFailed(doc, { errors: /\berror: /.test(r.log) ? 1 : 0, output: r.log });
  const pick = await vscode.window.showErrorMessage(
    `XDP Lab: ${r.message}`,
    'Show Verifier Log',
    ...(r.line !== undefined ? ['Go to Line'] : []),
  );
  if (pick === 'Show Verifier Log') output().show(true);
  if (pick === 'Go to Line' && r.line !== undefined) {
    const editor = await vscode.window.showTextDocument(doc);
    const pos = new vscode.Position(r.line, 0);
    editor.selection = new vscode.Selection(pos, pos);
    editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
  }
}

export function registerLanguage(context: vscode.ExtensionContext): void {
  const maybeStart = (doc: vscode.TextDocument): void => {
    if (client || !looksLikeBpf(doc)) return;
    startClient(context).catch(() => undefined);
    void offerClangdConfig(context, doc);
  };
  registerClangd(context);
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(maybeStart),
    vscode.commands.registerCommand('xdpLab.server.restart', async () => {
      const was = client !== undefined;
      if (client) await client.restart();
      else await startClient(context);
      // Nothing on screen changes when it works: say so (a failure to start says so itself).
      void offer(
        {
          message: `XDP Lab: the XDP C language server ${was ? 'restarted' : 'started'}.`,
          steps: ['Show Output'],
        },
        { level: 'info' },
      );
    }),
    vscode.commands.registerCommand('xdpLab.program.compile', (uri?: unknown) => compile(context, uri)),
    vscode.commands.registerCommand('xdpLab.program.verify', (uri?: unknown, fn?: unknown) =>
      verify(context, uri, fn),
    ),
  );
  vscode.workspace.textDocuments.forEach(maybeStart);
}
