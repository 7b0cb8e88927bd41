// XDP Lab: Run Program on a Frame. Builds the object (clang for a .c file, with the configured
// path, include paths and extra args), picks the program and a frame (a generated one or a raw
// frame file), runs it in the VM as BPF_PROG_TEST_RUN would, and shows the result as JSON in an
// untitled document; a fault offers to open its source line.
import * as vscode from 'vscode';
import { xdpActionByValue } from '../../core/bpf/xdpActions';
import { ElfError, LoadError, loadObject } from '../../core/elf/loadObject';
import { dumpMaps, toHex } from '../../core/maps/mapPreload';
import { buildFrame } from '../../core/packet/frameBuilder';
import type { FrameSpec } from '../../core/packet/frameBuilder';
import { TestRunError } from '../../core/vm/xdpBuffer';
import type { XdpProgram } from '../../core/vm/xdpProgram';
import { ClangFailedError, ClangMissingError, compileBpfC } from '../../node/clang';
import { kernelBtfOptions } from '../../node/kernelBtf';
import { readConfig } from '../config';
import { output } from '../output';
import { pickGlobals } from './pickGlobals';

/** What the CodeLens (and other callers) may pass. */
interface RunArgs {
  uri?: string | vscode.Uri;
  function?: string;
}

const GENERATED: { label: string; detail: string; spec: FrameSpec }[] = [
  {
    label: 'UDP frame',
    detail: '10.0.0.1:4000 → 10.0.0.2:9, 64 bytes',
    spec: { udp: { sport: 4000, dport: 9 } },
  },
  {
    label: 'TCP frame',
    detail: '10.0.0.1:4000 → 10.0.0.2:80, 64 bytes',
    spec: { tcp: { sport: 4000, dport: 80 } },
  },
  {
    label: 'IPv6 UDP frame',
    detail: 'fd00::1 → fd00::2, port 9',
    spec: { ipv6: { src: 'fd00::1', dst: 'fd00::2' }, udp: { sport: 4000, dport: 9 } },
  },
  { label: 'ARP request', detail: 'who-has 10.0.0.2', spec: { arp: {} } },
];

function argsOf(arg: unknown): RunArgs {
  if (arg instanceof vscode.Uri) return { uri: arg };
  if (arg && typeof arg === 'object') {
    const a = arg as Record<string, unknown>;
    return {
      ...(typeof a.uri === 'string' || a.uri instanceof vscode.Uri ? { uri: a.uri } : {}),
      ...(typeof a.function === 'string' ? { function: a.function } : {}),
    };
  }
  return {};
}

async function objectBytes(uri: vscode.Uri, token: vscode.CancellationToken): Promise<Uint8Array> {
  if (!uri.fsPath.endsWith('.c')) return vscode.workspace.fs.readFile(uri);
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open?.isDirty) await open.save();
  const cfg = readConfig(uri);
  const controller = new AbortController();
  token.onCancellationRequested(() => controller.abort());
  const folder = vscode.Uri.joinPath(uri, '..').fsPath;
  const r = await compileBpfC(uri.fsPath, {
    clang: cfg.clangPath,
    includePaths: [folder, ...cfg.clangIncludePaths],
    extraArgs: cfg.clangExtraArgs,
    signal: controller.signal,
  });
  if (r.stderr) output().info(r.stderr.trimEnd());
  return r.object;
}

async function pickProgram(
  programs: readonly XdpProgram[],
  wanted: string | undefined,
): Promise<XdpProgram | undefined> {
  if (wanted) return programs.find((p) => p.name === wanted);
  if (programs.length <= 1) return programs[0];
  const pick = await vscode.window.showQuickPick(
    programs.map((p) => ({ label: p.name, description: `SEC("${p.section}")`, prog: p })),
    { title: 'Run which XDP program?' },
  );
  return pick?.prog;
}

async function pickFrame(): Promise<{ frame: Uint8Array; what: string } | undefined> {
  const items: (vscode.QuickPickItem & { spec?: FrameSpec })[] = [
    ...GENERATED.map((g) => ({ label: g.label, detail: g.detail, spec: g.spec })),
    { label: 'Frame file…', detail: 'A raw frame starting at the Ethernet header (.bin)' },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Run on which frame?' });
  if (!pick) return undefined;
  if (pick.spec) return { frame: buildFrame(pick.spec), what: `${pick.label} (${pick.detail ?? ''})` };
  const files = await vscode.window.showOpenDialog({
    canSelectMany: false,
    title: 'Raw frame file',
    filters: { 'Raw frames': ['bin', 'raw'], 'All files': ['*'] },
  });
  const file = files?.[0];
  if (!file) return undefined;
  return { frame: await vscode.workspace.fs.readFile(file), what: file.fsPath };
}

export async function runProgram(arg: unknown): Promise<void> {
  const args = argsOf(arg);
  const uri = args.uri
    ? typeof args.uri === 'string'
      ? vscode.Uri.parse(args.uri)
      : args.uri
    : vscode.window.activeTextEditor?.document.uri;
  if (!uri) {
    void vscode.window.showErrorMessage('XDP Lab: open an XDP C file or a BPF object to run.');
    return;
  }
  try {
    await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: 'XDP Lab: running the program',
        cancellable: true,
      },
      async (_p, token) => {
        const bytes = await objectBytes(uri, token);
        const name = uri.path.split('/').pop()?.split('.')[0] || 'obj';
        const obj = loadObject(bytes, { name, ...kernelBtfOptions() });
        const prog = await pickProgram(obj.programs, args.function);
        if (!prog) {
          if (args.function)
            void vscode.window.showErrorMessage(
              `XDP Lab: no XDP program named '${args.function}' in ${uri.fsPath}.`,
            );
          return;
        }
        const picked = await pickFrame();
        if (!picked) return;
        const globals = await pickGlobals(obj.globals);
        if (!globals) return;
        const cfg = readConfig(uri);
        const r = prog.testRun(picked.frame, { budget: cfg.instructionBudget });
        const result = r.fault
          ? { program: prog.name, frame: picked.what, fault: r.fault, insns: r.insns }
          : {
              program: prog.name,
              frame: picked.what,
              retval: r.retval,
              action: xdpActionByValue(r.retval)?.name ?? `unknown action ${r.retval}`,
              dataOut: toHex(r.dataOut),
              insns: r.insns,
              maps: dumpMaps(obj.maps),
              ...(Object.keys(globals).length ? { globals } : {}),
              printk: obj.system.printk,
              ...(obj.system.notes.length ? { notes: obj.system.notes } : {}),
            };
        output().info(
          `run ${prog.name} on ${picked.what}: ${r.fault ? `fault at pc ${r.fault.pc}: ${r.fault.message}` : `retval ${r.retval}`}`,
        );
        const doc = await vscode.workspace.openTextDocument({
          language: 'json',
          content: JSON.stringify(result, null, 2) + '\n',
        });
        await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
        if (r.fault) {
          const line = prog.sourceOf(r.fault.pc);
          const open = line ? 'Open Source Line' : undefined;
          const choice = await vscode.window.showErrorMessage(
            `XDP Lab: ${prog.name} faulted at pc ${r.fault.pc}${r.fault.line ? ` (${r.fault.line})` : ''}: ${r.fault.message}`,
            ...(open ? [open] : []),
          );
          if (choice && line && uri.fsPath.endsWith('.c')) {
            const editor = await vscode.window.showTextDocument(uri);
            const pos = new vscode.Position(Math.max(0, line.line - 1), Math.max(0, line.column - 1));
            editor.selection = new vscode.Selection(pos, pos);
            editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
          }
        }
      },
    );
  } catch (e) {
    const known =
      e instanceof ClangMissingError ||
      e instanceof ClangFailedError ||
      e instanceof ElfError ||
      e instanceof LoadError ||
      e instanceof TestRunError;
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof ClangFailedError) output().error(e.stderr);
    if (!known) output().error(e instanceof Error ? (e.stack ?? message) : message);
    void vscode.window.showErrorMessage(`XDP Lab: ${message}`);
  }
}
