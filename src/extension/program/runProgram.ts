// XDP Lab: Run Program on a Frame. Builds the object (clang for a .c file, with the configured
// path, include paths and extra args), picks the program and a frame (a generated one or a raw
// frame file or one frame of a pcap), optionally fills the maps from a JSON file, runs it in the VM as
// BPF_PROG_TEST_RUN would, and shows the result panel (runResultPanel.ts); a fault offers its line.
import path from 'node:path';
import * as vscode from 'vscode';
import { verifierWarning } from '../../core/analysis/verdictText';
import { xdpActionByValue } from '../../core/bpf/xdpActions';
import { ElfError, LoadError, loadObject } from '../../core/elf/loadObject';
import { mapTypeByValue } from '../../core/bpf/mapTypes';
import type { LoadedObject } from '../../core/elf/loadObject';
import { parseJsonText } from '../../core/jsonText';
import { dumpMaps, MapPreloadError, preloadMaps, toHex, type DumpedEntry } from '../../core/maps/mapPreload';
import { describeFrame } from '../../core/packet/frameDecoder';
import { PcapError, readPcap } from '../../core/packet/pcap';
import { MAX_SHOWN_ENTRIES, type RunResultMap, type RunResultView } from '../../protocol/runResult';
import { buildFrame } from '../../core/packet/frameBuilder';
import type { FrameSpec } from '../../core/packet/frameBuilder';
import { TestRunError } from '../../core/vm/xdpBuffer';
import type { TestRunResult, XdpProgram } from '../../core/vm/xdpProgram';
import { ClangFailedError, ClangMissingError, compileBpfC } from '../../node/clang';
import { kernelBtfOptions } from '../../node/kernelBtf';
import { KernelConfigError } from '../../node/kernelConfig';
import { readConfig } from '../config';
import { output } from '../output';
import { setGlobal } from '../../core/elf/globals';
import { pickGlobals } from './pickGlobals';
import { RunResultPanel } from './runResultPanel';
import { revealJsonProblems } from '../jsonDiagnostics';
import { compileFailure, missingProgram } from '../nextStep';
import { offer, requireProgram } from '../preconditions';

const COMMAND = 'Run Program on a Frame';

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
  if (arg instanceof vscode.Uri || typeof arg === 'string') return { uri: arg };
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

// Every pick of this command keeps its place when the focus moves (ignoreFocusOut): started from the
// walkthrough, the page marks the step done and re-renders as the command runs, which took the focus
// and closed the frame pick under the user (the editor tier's 90-walkthrough saw it twice).
async function pickProgram(
  programs: readonly XdpProgram[],
  wanted: string | undefined,
): Promise<XdpProgram | undefined> {
  if (wanted) return programs.find((p) => p.name === wanted);
  if (programs.length <= 1) return programs[0];
  const pick = await vscode.window.showQuickPick(
    programs.map((p) => ({ label: p.name, description: `SEC("${p.section}")`, prog: p })),
    { title: 'Run which XDP program?', ignoreFocusOut: true },
  );
  return pick?.prog;
}

const MAX_PCAP_FRAMES = 100_000;

async function pickFrame(): Promise<{ frame: Uint8Array; what: string } | undefined> {
  const items: (vscode.QuickPickItem & { spec?: FrameSpec; kind2?: 'pcap' | 'raw' })[] = [
    ...GENERATED.map((g) => ({ label: g.label, detail: g.detail, spec: g.spec })),
    { label: 'Frame from a pcap file…', detail: 'Pick one frame of a capture (tcpdump -w)', kind2: 'pcap' },
    { label: 'Frame file…', detail: 'A raw frame starting at the Ethernet header (.bin)', kind2: 'raw' },
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Run on which frame?',
    ignoreFocusOut: true,
  });
  if (!pick) return undefined;
  if (pick.spec) return { frame: buildFrame(pick.spec), what: `${pick.label} (${pick.detail ?? ''})` };
  const pcap = pick.kind2 === 'pcap';
  const files = await vscode.window.showOpenDialog({
    canSelectMany: false,
    title: pcap ? 'pcap capture' : 'Raw frame file',
    filters: pcap
      ? { 'pcap captures': ['pcap', 'cap'], 'All files': ['*'] }
      : { 'Raw frames': ['bin', 'raw'], 'All files': ['*'] },
  });
  const file = files?.[0];
  if (!file) return undefined;
  const bytes = await vscode.workspace.fs.readFile(file);
  if (!pcap) return { frame: bytes, what: file.fsPath };
  const frames = readPcap(bytes, vscode.workspace.asRelativePath(file), { maxFrames: MAX_PCAP_FRAMES });
  if (!frames.length)
    throw new PcapError(`${vscode.workspace.asRelativePath(file)}: the capture has no frames`);
  const which =
    frames.length === 1
      ? 0
      : (
          await vscode.window.showQuickPick(
            frames
              .slice(0, 500)
              .map((f, i) => ({ label: `#${i + 1}`, description: describeFrame(f).text, i })),
            { title: `Which frame of ${frames.length}?`, matchOnDescription: true, ignoreFocusOut: true },
          )
        )?.i;
  if (which === undefined) return undefined;
  return {
    frame: frames[which] as Uint8Array,
    what: `frame #${which + 1} of ${vscode.workspace.asRelativePath(file)} (${describeFrame(frames[which] as Uint8Array).text})`,
  };
}

/** Maps as loaded (empty), or filled from a JSON file in `xdp-lab run --maps` format; asked only when the object has maps. */
async function pickMaps(obj: LoadedObject): Promise<{ file?: vscode.Uri } | undefined> {
  if (!obj.maps.some((m) => !m.name.startsWith('.') && !/\.(rodata|data|bss)/.test(m.name))) return {};
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'Maps as loaded', detail: 'Empty, as after bpftool prog load', file: false },
      {
        label: 'Fill maps from a JSON file…',
        detail: '{"MAP": [{"key": K, "value": V}, …]} — the format of xdp-lab run --maps',
        file: true,
      },
    ],
    { title: 'Maps for this run', ignoreFocusOut: true },
  );
  if (!pick) return undefined;
  if (!pick.file) return {};
  const files = await vscode.window.showOpenDialog({
    canSelectMany: false,
    title: 'Map contents (JSON)',
    filters: { JSON: ['json'], 'All files': ['*'] },
  });
  return files?.[0] ? { file: files[0] } : undefined;
}

/** Entries non-zero before or after, changed first, capped for the view. */
function mapChanges(obj: LoadedObject, before: Record<string, DumpedEntry[]>): RunResultMap[] {
  const after = dumpMaps(obj.maps);
  const shown = (e: DumpedEntry | undefined): string | undefined =>
    e ? (e.values ? e.values.join(' | ') : e.value) : undefined;
  const nonZero = (x: string | undefined): boolean => x !== undefined && /[1-9a-f]/.test(x);
  return obj.maps.map((m) => {
    const b = new Map((before[m.name] ?? []).map((e) => [e.key, shown(e)]));
    const a = new Map((after[m.name] ?? []).map((e) => [e.key, shown(e)]));
    const keys = [...new Set([...b.keys(), ...a.keys()])];
    const entries = keys
      .map((key) => ({ key, before: b.get(key), after: a.get(key) }))
      .filter((e) => e.before !== e.after || nonZero(e.after) || nonZero(e.before))
      .sort((x, y) => Number(x.before === x.after) - Number(y.before === y.after));
    return {
      name: m.name,
      type: mapTypeByValue(m.type)?.name.replace('BPF_MAP_TYPE_', '') ?? String(m.type),
      entries: entries.slice(0, MAX_SHOWN_ENTRIES).map((e) => ({
        key: e.key,
        ...(e.before !== undefined ? { before: e.before } : {}),
        ...(e.after !== undefined ? { after: e.after } : {}),
      })),
      total: a.size,
    };
  });
}

/** Where an XDP_REDIRECT was headed, as the redirect info (§1.2) recorded it. */
function redirectText(obj: LoadedObject, r: TestRunResult): string | undefined {
  if (r.retval !== 4) return undefined;
  const ri = r.redirect;
  if (ri.isIfindexRedirect()) return `bpf_redirect to ifindex ${ri.tgtIndex}`;
  const map = obj.maps.find((m) => m.id === ri.mapId);
  return map ? `${map.name}[${ri.tgtIndex}]` : undefined;
}

interface RunSetup {
  uri: vscode.Uri;
  program: string;
  frame: { frame: Uint8Array; what: string };
  /** Globals set before the run (pickGlobals), as `--global NAME=VALUE` would. */
  globals: Record<string, string>;
  mapsFile?: vscode.Uri;
}

/** Builds (clang for .c), loads, fills maps, runs: the view model and the `run --json` document. */
async function runOnce(
  setup: RunSetup,
  token: vscode.CancellationToken,
): Promise<{ view: RunResultView; json: unknown; prog: XdpProgram; fault?: TestRunResult['fault'] }> {
  const bytes = await objectBytes(setup.uri, token);
  const name = setup.uri.path.split('/').pop()?.split('.')[0] || 'obj';
  // The fast tier where the engine has WebAssembly (docs/vm.md "Tiers"); the debugger steps on js.
  const kernel = kernelOptions(setup.uri);
  const obj = loadObject(bytes, { name, systemOptions: { tier: 'auto' }, ...kernel });
  const prog = obj.program(setup.program);
  for (const [g, value] of Object.entries(setup.globals)) setGlobal(obj.globals, g, value);
  if (!prog) throw new LoadError(`no XDP program named '${setup.program}' in ${setup.uri.fsPath} any more`);
  if (setup.mapsFile) {
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(setup.mapsFile));
    const where = vscode.workspace.asRelativePath(setup.mapsFile);
    try {
      preloadMaps(parseJsonText(text), obj.maps);
    } catch (e) {
      void revealJsonProblems(setup.mapsFile, 'maps');
      throw new MapPreloadError(`${where}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const before = dumpMaps(obj.maps);
  const cfg = readConfig(setup.uri);
  const r = prog.testRun(setup.frame.frame, { budget: cfg.instructionBudget });
  const action = xdpActionByValue(r.retval)?.name ?? `unknown action ${r.retval}`;
  const redirect = redirectText(obj, r);
  const warning = verifierWarning(bytes, prog.name, kernel);
  if (warning) output().warn(`run ${prog.name}: ${warning}`);
  const view: RunResultView = {
    program: prog.name,
    section: prog.section,
    source: vscode.workspace.asRelativePath(setup.uri),
    frameWhat: setup.frame.what,
    outcome: r.fault
      ? {
          kind: 'fault',
          pc: r.fault.pc,
          message: r.fault.message,
          ...(r.fault.line ? { line: r.fault.line } : {}),
        }
      : { kind: 'action', action, retval: r.retval, ...(redirect ? { redirect } : {}) },
    insns: r.insns,
    frameIn: toHex(setup.frame.frame),
    frameOut: toHex(r.dataOut),
    maps: mapChanges(obj, before),
    printk: obj.system.printk.slice(0, 1024),
    notes: obj.system.notes.slice(0, 1024),
    // A program our verifier rejects runs only with the rejection named (issue 11), as `run` on stderr.
    ...(warning ? { verifier: warning.slice(0, 4096) } : {}),
  };
  const json = r.fault
    ? { program: prog.name, frame: setup.frame.what, fault: r.fault, insns: r.insns }
    : {
        program: prog.name,
        frame: setup.frame.what,
        retval: r.retval,
        action,
        dataOut: toHex(r.dataOut),
        insns: r.insns,
        maps: dumpMaps(obj.maps),
        ...(Object.keys(setup.globals).length ? { globals: setup.globals } : {}),
        printk: obj.system.printk,
        ...(obj.system.notes.length ? { notes: obj.system.notes } : {}),
      };
  output().info(
    `run ${prog.name} on ${setup.frame.what}: ${r.fault ? `fault at pc ${r.fault.pc}: ${r.fault.message}` : `${action} (retval ${r.retval})`}`,
  );
  return { view, json, prog, ...(r.fault ? { fault: r.fault } : {}) };
}

async function offerFaultLine(
  uri: vscode.Uri,
  prog: XdpProgram,
  fault: NonNullable<TestRunResult['fault']>,
): Promise<void> {
  const line = prog.sourceOf(fault.pc);
  const open = line ? 'Open Source Line' : undefined;
  const choice = await vscode.window.showErrorMessage(
    `XDP Lab: ${prog.name} faulted at pc ${fault.pc}${fault.line ? ` (${fault.line})` : ''}: ${fault.message}`,
    ...(open ? [open] : []),
  );
  if (choice && line && uri.fsPath.endsWith('.c')) {
    const editor = await vscode.window.showTextDocument(uri);
    const pos = new vscode.Position(Math.max(0, line.line - 1), Math.max(0, line.column - 1));
    editor.selection = new vscode.Selection(pos, pos);
    editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
  }
}

/**
 * The running kernel's BTF and config, with `xdpLab.vm.kconfig` (a file; relative to the program's
 * workspace folder) read first as libbpf reads bpf_object_open_opts.kconfig (node/kernelConfig.ts).
 */
function kernelOptions(uri: vscode.Uri): ReturnType<typeof kernelBtfOptions> {
  const file = readConfig(uri).kconfig;
  if (!file) return kernelBtfOptions();
  const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath;
  return kernelBtfOptions(folder && !path.isAbsolute(file) ? path.join(folder, file) : file);
}

function runErrorMessage(e: unknown): string {
  const known =
    e instanceof ClangMissingError ||
    e instanceof ClangFailedError ||
    e instanceof ElfError ||
    e instanceof LoadError ||
    e instanceof TestRunError ||
    e instanceof PcapError ||
    e instanceof KernelConfigError ||
    e instanceof MapPreloadError;
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof ClangFailedError) output().error(e.stderr);
  if (!known) output().error(e instanceof Error ? (e.stack ?? message) : message);
  return message;
}

export async function runProgram(extensionUri: vscode.Uri, arg: unknown): Promise<void> {
  const args = argsOf(arg);
  // From the palette: the active XDP program, one shown or the workspace's, else a message naming
  // what is missing (preconditions.ts). Started from the walkthrough, no text editor is active.
  const uri = await requireProgram(COMMAND, 'xdp', args.uri, (opened) =>
    runProgram(extensionUri, { uri: opened }),
  );
  if (!uri) return;
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
        const obj = loadObject(bytes, { name, ...kernelOptions(uri) });
        if (!obj.programs.length) {
          // It built, and has no SEC("xdp") function: a tc program, a library object.
          void offer(missingProgram(COMMAND, 'xdp', { path: uri.path, kind: 'c-source' }, true), {
            rerun: (opened) => runProgram(extensionUri, { uri: opened }),
          });
          return;
        }
        const prog = await pickProgram(obj.programs, args.function);
        if (!prog) {
          if (args.function)
            void vscode.window.showErrorMessage(
              `XDP Lab: no XDP program named '${args.function}' in ${uri.fsPath}.`,
            );
          return;
        }
        const frame = await pickFrame();
        if (!frame) return;
        const maps = await pickMaps(obj);
        if (!maps) return;
        const globals = await pickGlobals(obj.globals);
        if (!globals) return;
        const setup: RunSetup = {
          uri,
          program: prog.name,
          frame,
          globals,
          ...(maps.file ? { mapsFile: maps.file } : {}),
        };
        const first = await runOnce(setup, token);
        let json = first.json;
        // The walkthrough's "Run it on a frame" step ticks now, when a program ran, not when the
        // command started: ticking re-renders the walkthrough page, which took the focus from the
        // picks above while the user was answering them (package.json completionEvents).
        void vscode.commands.executeCommand('setContext', 'xdpLab.ranProgram', true);
        RunResultPanel.show(extensionUri, first.view, {
          json: () => json,
          rerun: async () => {
            try {
              const again = await runOnce(setup, new vscode.CancellationTokenSource().token);
              json = again.json;
              if (again.fault) void offerFaultLine(uri, again.prog, again.fault);
              return again.view;
            } catch (e) {
              showRunError(uri, e);
              return undefined;
            }
          },
        });
        if (first.fault) await offerFaultLine(uri, first.prog, first.fault);
      },
    );
  } catch (e) {
    showRunError(uri, e);
  }
}

/** A failed run: clang's first error with Show Problems, anything else with Show Output (logged there). */
function showRunError(uri: vscode.Uri, e: unknown): void {
  const message = runErrorMessage(e);
  if (e instanceof ClangFailedError) void offer(compileFailure(uri.fsPath, e.stderr));
  else void offer({ message: `XDP Lab: ${message}`, steps: ['Show Output'] });
}
