// The XDP debugger in VS Code's own debug UI (issue 14): debug type `xdp-lab` runs the core adapter
// inline (the same session `xdp-lab debug-adapter` serves on stdio), a configuration provider fills
// program (and, in a scenario, the frame) from the active editor, and the CodeLens "Debug" starts a session.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { LaunchArguments } from '../../core/debug/dapMessages';
import { IdleWork } from '../../node/debug/idleWork';
import type { CompileC } from '../../node/debug/debugLaunch';
import { scenarioLaunch } from '../../node/debug/scenarioLaunch';
import { ClangFailedError, ClangMissingError, compileBpfC } from '../../node/clang';
import { readConfig } from '../config';
import { compileFailure } from '../nextStep';
import { output } from '../output';
import { offer, requireProgram } from '../preconditions';

export const DEBUG_TYPE = 'xdp-lab';
/** A scenario file (the visualizer's and the language server's pattern). */
const SCENARIO_FILE = /\.xdpscenario\.json$/;

/** The adapter in the extension host: DAP messages straight into core/debug/dapSession. */
class InlineAdapter implements vscode.DebugAdapter {
  private readonly emitter = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
  readonly onDidSendMessage = this.emitter.event;
  private session: Promise<{ handle(m: unknown): Promise<void>; idle(): boolean }>;
  private chain = Promise.resolve();
  /** The Registers' verifier walks, run while the client is quiet (node/debug/idleWork.ts). */
  private readonly idle = new IdleWork(() => this.ready?.idle() ?? false);
  private ready: { idle(): boolean } | undefined;

  constructor(folder: vscode.WorkspaceFolder | undefined) {
    this.session = (async () => {
      const [{ DapSession }, { prepareLaunch }] = await Promise.all([
        import('../../core/debug/dapSession'),
        import('../../node/debug/debugLaunch'),
      ]);
      return new DapSession({
        prepare: (args: LaunchArguments) => {
          const cfg = readConfig(folder?.uri);
          // xdpLab.vm.kconfig is the launch's kconfig when the launch names none, as `run` reads it.
          if (args.kconfig === undefined && cfg.kconfig) args = { ...args, kconfig: cfg.kconfig };
          return prepareLaunch(args, {
            ...(folder ? { cwd: folder.uri.fsPath } : {}),
            clang: {
              clang: cfg.clangPath,
              includePaths: cfg.clangIncludePaths,
              extraArgs: cfg.clangExtraArgs,
            },
            compile: takeChecked,
          });
        },
        send: (m) => this.emitter.fire(m),
      });
    })();
    this.session.then(
      (s) => (this.ready = s),
      () => undefined, // the first request reports it
    );
  }

  handleMessage(message: vscode.DebugProtocolMessage): void {
    this.idle.poke();
    this.chain = this.chain.then(async () => {
      await (await this.session).handle(message);
      this.idle.poke();
    });
  }

  dispose(): void {
    this.idle.dispose();
    this.emitter.dispose();
  }
}

/**
 * The file the user is looking at: the active text editor's, else the active tab's (an object opens
 * in the binary placeholder or a hex editor, which are no text editors). `text` only for text editors.
 */
function activeFile(): { uri: vscode.Uri; text?: string } | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (doc) return { uri: doc.uri, text: doc.getText() };
  const input: unknown = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom)
    return { uri: input.uri };
  return undefined;
}

/**
 * Fills a launch configuration from the active editor: a C file or object, or a scenario (F5 without a
 * launch.json, or a configuration without `program`). F5 without a launch.json reaches this provider
 * with an empty configuration when VS Code's guessDebugger (debugAdapterManager.ts) picks `xdp-lab`:
 * by the editor's language (`debuggers[].languages`: c, and json for scenarios) or by the user's
 * choice in its "Select debugger" picker (nothing open, a binary .o) — every case answers something.
 */
class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [
      {
        type: DEBUG_TYPE,
        request: 'launch',
        name: 'XDP Lab: debug the program on a frame',
        program: '${file}',
        stopOnEntry: false,
      },
    ];
  }

  async resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    const active = activeFile();
    const file = active?.uri.scheme === 'file' ? active.uri.fsPath : '';
    const scenario = SCENARIO_FILE.test(file);
    if (!config.type && !config.request && !config.name) {
      // F5 without a launch.json. Not a scenario: what "Debug Program on a Frame" does — the program
      // requireProgram finds (the active XDP source or object, the workspace's only one, a pick of
      // them), compiled first; or a message naming what is missing (a C file without SEC("xdp"), a
      // JSON that is no scenario, nothing open) or clang's first error.
      if (!scenario) {
        // This start ends here and "Debug Program on a Frame" takes over, as the CodeLens does: a start
        // that waited on the message's buttons would spin in the Run view until the toast is closed.
        const objectTab = active && !active.text && /\.o$/.test(active.uri.path) ? active.uri : undefined;
        debugProgram(objectTab).catch(
          (e: unknown) => void vscode.window.showErrorMessage(`XDP Lab: ${(e as Error).message}`),
        );
        return undefined;
      }
      config.type = DEBUG_TYPE;
      config.request = 'launch';
      config.name = LAUNCH_NAME;
    }
    if (!config.program && scenario && active) {
      const frame: unknown = config.frame;
      const index =
        frame && typeof frame === 'object' && typeof (frame as { index?: unknown }).index === 'number'
          ? (frame as { index: number }).index
          : 1;
      const text = active.text ?? new TextDecoder().decode(await vscode.workspace.fs.readFile(active.uri));
      const filled = scenarioLaunch(file, text, index);
      if (typeof filled === 'string') {
        void vscode.window.showErrorMessage(
          `XDP Lab: frame ${index} of ${path.basename(file)} cannot be debugged: ${filled}`,
        );
        return undefined;
      }
      const { chainOn: _chainOn, ...launch } = filled;
      Object.assign(config, launch, config.function ? { function: config.function as unknown } : {});
    }
    if (!config.program && /\.(c|o)$/.test(file)) config.program = file;
    if (!config.program) {
      void vscode.window.showErrorMessage(
        "XDP Lab: the launch configuration needs 'program' (a .c file or a BPF object)",
      );
      return undefined;
    }
    return config;
  }
}

const LAUNCH_NAME = 'XDP Lab: debug the program on a frame';
const COMMAND = 'Debug Program on a Frame';

/**
 * The object compileChecked made just before a session, taken by that session's launch when the file
 * and clang's options are unchanged — the check costs no second compile. One entry, taken once.
 */
let checked: { file: string; clang: string; text: string; object: Uint8Array } | undefined;

const takeChecked: CompileC = async (file, clang) => {
  const c = checked;
  checked = undefined;
  if (c && c.file === file && c.clang === JSON.stringify(clang)) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === c.text) return c.object;
  }
  return (await compileBpfC(file, clang)).object;
};

/**
 * Compiles a C program before its session starts (saved first if dirty) and says a failure here, with
 * its first error: the debug UI would show it as a launch failure offering launch.json. False: said.
 */
async function compileChecked(uri: vscode.Uri): Promise<boolean> {
  const cfg = readConfig(uri);
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open?.isDirty) await open.save();
  // As the inline adapter compiles it (debugLaunch.ts), so the two agree.
  const clang = { clang: cfg.clangPath, includePaths: cfg.clangIncludePaths, extraArgs: cfg.clangExtraArgs };
  try {
    const text = await readFile(uri.fsPath, 'utf8');
    const { object } = await compileBpfC(uri.fsPath, clang);
    checked = { file: uri.fsPath, clang: JSON.stringify(clang), text, object };
    return true;
  } catch (e) {
    if (e instanceof ClangFailedError) {
      output().error(e.stderr);
      await offer(compileFailure(uri.fsPath, e.stderr));
      return false;
    }
    if (e instanceof ClangMissingError) {
      await offer({ message: `XDP Lab: ${e.message}`, steps: ['Show Output'] });
      return false;
    }
    throw e;
  }
}

/**
 * `xdpLab.program.debug` (the CodeLens): {uri, function} from the language server, else the active
 * XDP program (preconditions.ts). A C file that does not compile is said here (compileChecked).
 */
async function debugProgram(uriArg?: unknown, fn?: unknown): Promise<void> {
  const uri = await requireProgram(COMMAND, 'xdp', uriArg, (opened) => debugProgram(opened));
  if (!uri) return;
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (uri.path.endsWith('.c') && !(await compileChecked(uri))) return;
  const config: vscode.DebugConfiguration = {
    type: DEBUG_TYPE,
    request: 'launch',
    name: `Debug ${typeof fn === 'string' ? fn : 'XDP program'}`,
    program: uri.fsPath,
    ...(typeof fn === 'string' ? { function: fn } : {}),
  };
  await vscode.debug.startDebugging(folder, config);
}

export function registerDebug(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      createDebugAdapterDescriptor: (session) =>
        new vscode.DebugAdapterInlineImplementation(new InlineAdapter(session.workspaceFolder)),
    }),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new ConfigurationProvider()),
    vscode.commands.registerCommand('xdpLab.program.debug', debugProgram),
  );
}
