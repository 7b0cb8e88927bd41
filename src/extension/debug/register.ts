// The XDP debugger in VS Code's own debug UI (issue 14): debug type `xdp-lab` runs the core adapter
// inline (the same session `xdp-lab debug-adapter` serves on stdio), a configuration provider fills
// program (and, in a scenario, the frame) from the active editor, and the CodeLens "Debug" starts a session.
import path from 'node:path';
import * as vscode from 'vscode';
import type { LaunchArguments } from '../../core/debug/dapMessages';
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
  private session: Promise<{ handle(m: unknown): Promise<void> }>;
  private chain = Promise.resolve();

  constructor(folder: vscode.WorkspaceFolder | undefined) {
    this.session = (async () => {
      const [{ DapSession }, { prepareLaunch }] = await Promise.all([
        import('../../core/debug/dapSession'),
        import('../../node/debug/debugLaunch'),
      ]);
      return new DapSession({
        prepare: (args: LaunchArguments) => {
          const cfg = readConfig(folder?.uri);
          return prepareLaunch(args, {
            ...(folder ? { cwd: folder.uri.fsPath } : {}),
            clang: {
              clang: cfg.clangPath,
              includePaths: cfg.clangIncludePaths,
              extraArgs: cfg.clangExtraArgs,
            },
          });
        },
        send: (m) => this.emitter.fire(m),
      });
    })();
  }

  handleMessage(message: vscode.DebugProtocolMessage): void {
    this.chain = this.chain.then(async () => (await this.session).handle(message));
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

/** Fills a launch configuration from the active editor: a C file or object, or a scenario (F5 without a launch.json, or missing fields). */
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

  resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.DebugConfiguration | undefined {
    const editor = vscode.window.activeTextEditor;
    const file = editor?.document.fileName ?? '';
    const scenario = SCENARIO_FILE.test(file);
    if (!config.type && !config.request && !config.name) {
      if (!editor || (editor.document.languageId !== 'c' && !scenario)) return config;
      config.type = DEBUG_TYPE;
      config.request = 'launch';
      config.name = 'XDP Lab: debug the program on a frame';
    }
    if (!config.program && editor && scenario) {
      const frame: unknown = config.frame;
      const index =
        frame && typeof frame === 'object' && typeof (frame as { index?: unknown }).index === 'number'
          ? (frame as { index: number }).index
          : 1;
      const filled = scenarioLaunch(file, editor.document.getText(), index);
      if (typeof filled === 'string') {
        void vscode.window.showErrorMessage(
          `XDP Lab: frame ${index} of ${path.basename(file)} cannot be debugged: ${filled}`,
        );
        return undefined;
      }
      const { chainOn: _chainOn, ...launch } = filled;
      Object.assign(config, launch, config.function ? { function: config.function as unknown } : {});
    }
    if (!config.program && editor && /\.(c|o)$/.test(file)) config.program = file;
    if (!config.program) {
      void vscode.window.showErrorMessage(
        "XDP Lab: the launch configuration needs 'program' (a .c file or a BPF object)",
      );
      return undefined;
    }
    return config;
  }
}

const COMMAND = 'Debug Program on a Frame';

/**
 * `xdpLab.program.debug` (the CodeLens): {uri, function} from the language server, else the active
 * XDP program (preconditions.ts). A C file that does not compile is said here, with its first error,
 * before a session starts: the debug UI would show it as a launch failure offering launch.json.
 */
async function debugProgram(uriArg?: unknown, fn?: unknown): Promise<void> {
  const uri = await requireProgram(COMMAND, 'xdp', uriArg, (opened) => debugProgram(opened));
  if (!uri) return;
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (uri.path.endsWith('.c')) {
    const cfg = readConfig(uri);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open?.isDirty) await open.save();
    try {
      await compileBpfC(uri.fsPath, {
        clang: cfg.clangPath,
        // As the inline adapter compiles it (debugLaunch.ts), so the two agree.
        includePaths: cfg.clangIncludePaths,
        extraArgs: cfg.clangExtraArgs,
      });
    } catch (e) {
      if (e instanceof ClangFailedError) {
        output().error(e.stderr);
        return offer(compileFailure(uri.fsPath, e.stderr));
      }
      if (e instanceof ClangMissingError)
        return offer({ message: `XDP Lab: ${e.message}`, steps: ['Show Output'] });
      throw e;
    }
  }
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
