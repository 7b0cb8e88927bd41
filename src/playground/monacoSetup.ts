// Monaco as VS Code's own services (monaco-languageclient's MonacoVscodeApiWrapper, 'extended' mode:
// TextMate highlighting and VS Code's Default Light/Dark Modern themes) with two editors and the XDP C
// language client talking to the server worker. The C grammar comes from VS Code's cpp extension,
// the BPF injection grammar and the semantic token scopes from this project's package.json.
import '@codingame/monaco-vscode-cpp-default-extension';
import '@codingame/monaco-vscode-json-default-extension';
import { getService, ICommandService, IWorkbenchThemeService } from '@codingame/monaco-vscode-api/services';
import * as monaco from '@codingame/monaco-vscode-editor-api';
import { EditorApp } from 'monaco-languageclient/editorApp';
import { LanguageClientWrapper } from 'monaco-languageclient/lcwrapper';
import { MonacoVscodeApiWrapper } from 'monaco-languageclient/vscodeApiWrapper';
import { Worker as WorkerLoader, useWorkerFactory } from 'monaco-languageclient/workerFactory';
import { playgroundAssets } from './assets';

import type { ThemeKind } from './themeColors';

export type { ThemeKind };
export const themeNames: Record<ThemeKind, string> = {
  light: 'Default Light Modern',
  dark: 'Default Dark Modern',
};

/** The manifest parts VS Code reads from package.json, written by the build (contributes.json). */
interface Contributes {
  grammars: { scopeName: string; path: string; injectTo?: string[] }[];
  semanticTokenTypes: unknown[];
  semanticTokenScopes: unknown[];
}

const here = (name: string): URL => new URL(name, window.location.href);

function userSettings(theme: ThemeKind): string {
  return JSON.stringify({
    'workbench.colorTheme': themeNames[theme],
    'editor.semanticHighlighting.enabled': true,
    'editor.wordBasedSuggestions': 'off',
    'editor.minimap.enabled': false,
    'editor.fontSize': 13,
    'editor.lightbulb.enabled': 'on',
    // TextMate on the page's main thread, not in the TextMate worker: the worker's tokenizer controller
    // can hand Monaco a null line state when an edit lands while the worker is busy (VS Code's
    // textMateWorkerTokenizerController, "Cannot set null/undefined state", seen once in CI while the
    // page was being typed into). Our files are small; main-thread tokenization runs in idle slices.
    'editor.experimental.asyncTokenization': false,
  });
}

export interface PlaygroundEditors {
  program: EditorApp;
  scenario: EditorApp;
  client: LanguageClientWrapper;
  /** The server worker (for the benchmark's timings). */
  serverWorker: Worker;
  setTheme(theme: ThemeKind): Promise<void>;
  setProgram(name: string, text: string): Promise<void>;
  setScenario(name: string, text: string): Promise<void>;
  programEditor(): monaco.editor.IStandaloneCodeEditor;
  scenarioEditor(): monaco.editor.IStandaloneCodeEditor;
  /** The diagnostics Monaco shows for the program (1-based lines, as Monaco counts). */
  programMarkers(): { line: number; column: number; severity: string; message: string; source?: string }[];
  /** Runs a workbench command (e.g. the quick outline), as a keybinding or the command palette would. */
  runCommand(id: string): Promise<unknown>;
  /** Sends an LSP request through the language client (the test compares it with the Node server). */
  lsp(method: string, params: unknown): Promise<unknown>;
}

export const workspaceUri = (name: string): string => `/workspace/${name}`;

export async function startEditors(opts: {
  theme: ThemeKind;
  program: { name: string; text: string };
  scenario: { name: string; text: string };
  programElement: HTMLElement;
  scenarioElement: HTMLElement;
}): Promise<PlaygroundEditors> {
  const contributes = (await (await fetch(here('contributes.json'))).json()) as Contributes;
  const files = new Map<string, URL>();
  for (const g of contributes.grammars)
    files.set(`/${g.path.replace(/^\.\//, '').split('/').pop()}`, here(playgroundAssets.injectionGrammar));
  const api = new MonacoVscodeApiWrapper({
    $type: 'extended',
    viewsConfig: { $type: 'EditorService' },
    userConfiguration: { json: userSettings(opts.theme) },
    monacoWorkerFactory: () =>
      useWorkerFactory({
        workerLoaders: {
          editorWorkerService: () =>
            new WorkerLoader(here(playgroundAssets.editorWorker), { type: 'module' }),
          TextMateWorker: () => new WorkerLoader(here(playgroundAssets.textMateWorker), { type: 'module' }),
        },
      }),
    extensions: [
      {
        config: {
          name: 'xdp-lab-grammar',
          publisher: 'xdp-lab',
          version: '0.1.0',
          engines: { vscode: '*' },
          contributes: {
            grammars: contributes.grammars.map((g) => ({ ...g, path: `./${g.path.split('/').pop()}` })),
            semanticTokenTypes: contributes.semanticTokenTypes,
            semanticTokenScopes: contributes.semanticTokenScopes,
          } as never,
        },
        filesOrContents: files,
      },
    ],
  });
  await api.start();

  const program = new EditorApp({
    codeResources: { modified: { text: opts.program.text, uri: workspaceUri(opts.program.name) } },
    editorOptions: { automaticLayout: true, glyphMargin: true },
  });
  await program.start(opts.programElement);
  const scenario = new EditorApp({
    codeResources: {
      modified: {
        text: opts.scenario.text,
        uri: workspaceUri(opts.scenario.name),
        enforceLanguageId: 'json',
      },
    },
    editorOptions: { automaticLayout: true },
  });
  await scenario.start(opts.scenarioElement);

  const serverWorker = new Worker(here(playgroundAssets.serverWorker), {
    type: 'module',
    name: 'xdp-lab-server',
  });
  const client = new LanguageClientWrapper({
    languageId: 'c',
    connection: { options: { $type: 'WorkerDirect', worker: serverWorker } },
    clientOptions: { documentSelector: [{ language: 'c' }] },
  });
  await client.start();

  const must = (app: EditorApp, what: string): monaco.editor.IStandaloneCodeEditor => {
    const e = app.getEditor();
    if (!e) throw new Error(`the ${what} editor did not start`);
    return e;
  };
  return {
    program,
    scenario,
    client,
    serverWorker,
    // Through the theme service, as the Color Theme picker does (rewriting the user settings instead
    // left the widgets of the new theme without their colours).
    setTheme: async (theme) => {
      const service = await getService(IWorkbenchThemeService);
      const target = (await service.getColorThemes()).find((t) => t.settingsId === themeNames[theme]);
      if (!target) throw new Error(`theme ${themeNames[theme]} is not registered`);
      await service.setColorTheme(target.id, undefined);
    },
    // The same file again keeps its model (an open document for the server) and takes the new text;
    // another name opens another model.
    setProgram: async (name, text) => {
      const model = program.getEditor()?.getModel();
      if (model?.uri.path === workspaceUri(name)) model.setValue(text);
      else await program.updateCodeResources({ modified: { text, uri: workspaceUri(name) } });
    },
    setScenario: async (name, text) => {
      const model = scenario.getEditor()?.getModel();
      if (model?.uri.path === workspaceUri(name)) model.setValue(text);
      else
        await scenario.updateCodeResources({
          modified: { text, uri: workspaceUri(name), enforceLanguageId: 'json' },
        });
    },
    programEditor: () => must(program, 'program'),
    programMarkers: () => {
      const model = must(program, 'program').getModel();
      if (!model) return [];
      return monaco.editor.getModelMarkers({ resource: model.uri }).map((m) => ({
        line: m.startLineNumber,
        column: m.startColumn,
        severity: monaco.MarkerSeverity[m.severity],
        message: m.message,
        ...(m.source ? { source: m.source } : {}),
      }));
    },
    runCommand: async (id) => (await getService(ICommandService)).executeCommand(id),
    lsp: (method, params) => {
      const lc = client.getLanguageClient();
      if (!lc) return Promise.reject(new Error('the language client is not running'));
      return lc.sendRequest(method, params);
    },
    scenarioEditor: () => must(scenario, 'scenario'),
  };
}
