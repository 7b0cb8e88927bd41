// The XDP Lab playground page (issue #8): Monaco + the XDP C language server in a worker, the
// simulator in a worker, the extension's visualizer in an iframe, and shareable state. Everything is
// served from the playground folder; nothing is fetched from elsewhere.
import { CommandsRegistry } from '@codingame/monaco-vscode-api/monaco';
import { playgroundAssets, playgroundExamples } from './assets';
import { startEditors, type PlaygroundEditors, type ThemeKind } from './monacoSetup';
import {
  stateFromFragment,
  stateFromJson,
  stateToFragment,
  stateToJson,
  STATE_FORMAT,
  type PlaygroundState,
} from './shareState';
import { isKernelConfigName, kconfigOptionCount, readKernelConfig } from './kernelConfigFile';
import { SimClient, type SimProgress } from './simClient';
import { clangCommandFor, objectNameFor } from './simRun';
// Pure and shared with the extension, so it lives in src/protocol.
import { framesSoFar, PROGRESS_REDRAW_MS, progressText, stoppedText } from '../core/xdp/summaryText';
import { applyTrafficEdits } from '../protocol/visualizerTrafficEdits';
import { VisualizerHost } from './visualizerHost';

const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing from index.html`);
  return e as T;
};

/** Files the scenario can name, by base name: the example's object and whatever the user opened. */
const files = new Map<string, { bytes: Uint8Array; origin: 'example' | 'user' }>();
let example: string | undefined;
let exampleSource: string | undefined;
let editors: PlaygroundEditors | undefined;
/** The kernel config the user opened, if any: `.kconfig` externs read it (the CLI's --kconfig). */
let kernelConfig: { name: string; text: string } | undefined;
const sim = new SimClient(60_000);
/** When the view last got a progress report (performance.now()). */
let lastShown = 0;
const MAX_OPEN_BYTES = 16 << 20;
const TIMELINE_STEPS = 20_000;

// ---- messages -----------------------------------------------------------------------------------
function say(kind: 'error' | 'info', text: string): void {
  const box = $('messages');
  const div = document.createElement('div');
  div.className = `msg ${kind}`;
  div.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  div.textContent = text;
  const close = document.createElement('button');
  close.textContent = '×';
  close.title = 'Dismiss';
  close.addEventListener('click', () => div.remove());
  div.append(close);
  box.append(div);
  while (box.children.length > 6) box.firstElementChild?.remove();
}
const clearMessages = (): void => void $('messages').replaceChildren();
const setStatus = (text: string): void => void ($('status').textContent = text);

function renderObjects(): void {
  const list = [...files.entries()]
    .filter(([n]) => /\.o$/i.test(n))
    .map(
      ([n, f]) =>
        `${n} (${(f.bytes.length / 1024).toFixed(1)} KiB, ${f.origin === 'example' ? 'prebuilt' : 'opened'})`,
    );
  const box = $('objects');
  box.textContent = list.length ? list.join(' · ') : 'none — open a .o built with clang -target bpf';
  if (!kernelConfig) return;
  const config = document.createElement('span');
  config.id = 'kernel-config';
  config.textContent = ` · kernel config ${kernelConfig.name} (${kconfigOptionCount(kernelConfig.text)} options)`;
  const remove = document.createElement('button');
  remove.textContent = '×';
  remove.title = 'Forget this kernel config';
  remove.setAttribute('aria-label', `Forget the kernel config ${kernelConfig.name}`);
  remove.addEventListener('click', () => {
    say(
      'info',
      `${kernelConfig?.name ?? 'The kernel config'} is no longer used: CONFIG_* externs read nothing.`,
    );
    kernelConfig = undefined;
    renderObjects();
  });
  config.append(remove);
  box.append(config);
}

function download(name: string, content: string | Uint8Array, mime: string): void {
  const blob = new Blob([typeof content === 'string' ? content : new Uint8Array(content)], { type: mime });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  window.setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// ---- state --------------------------------------------------------------------------------------
function currentState(): PlaygroundState {
  if (!editors) throw new Error('the editors are still starting');
  return {
    program: {
      name: $('program-name').textContent ?? 'program.bpf.c',
      text: editors.programEditor().getValue(),
    },
    scenario: {
      name: $('scenario-name').textContent ?? 'scenario.xdpscenario.json',
      text: editors.scenarioEditor().getValue(),
    },
    objects: [...files.entries()]
      .filter(([, f]) => f.origin === 'user')
      .map(([name, f]) => ({ name, bytes: f.bytes })),
    ...(example ? { example } : {}),
    ...(kernelConfig ? { kconfig: kernelConfig } : {}),
  };
}

async function fetchText(path: string): Promise<string> {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.text();
}

async function loadExample(
  name: string,
): Promise<{ program: { name: string; text: string }; scenario: { name: string; text: string } }> {
  const ex = playgroundExamples.find((e) => e.name === name);
  if (!ex) throw new Error(`no example named ${name}`);
  const dir = playgroundAssets.examplesDir;
  const [source, scenario, object] = await Promise.all([
    fetchText(`${dir}/${ex.source}`),
    fetchText(`${dir}/${ex.scenario}`),
    fetch(`${dir}/${ex.object}`).then(async (r) => new Uint8Array(await r.arrayBuffer())),
  ]);
  for (const [n, f] of [...files]) if (f.origin === 'example') files.delete(n);
  files.set(ex.object, { bytes: object, origin: 'example' });
  example = name;
  exampleSource = source;
  return { program: { name: ex.source, text: source }, scenario: { name: ex.scenario, text: scenario } };
}

async function applyState(state: PlaygroundState): Promise<void> {
  if (state.example) await loadExample(state.example);
  else {
    example = undefined;
    exampleSource = undefined;
    for (const [n, f] of [...files]) if (f.origin === 'example') files.delete(n);
  }
  for (const o of state.objects) files.set(o.name, { bytes: o.bytes, origin: 'user' });
  kernelConfig = state.kconfig;
  await setProgram(state.program.name, state.program.text);
  await setScenario(state.scenario.name, state.scenario.text);
  renderObjects();
}

async function setProgram(name: string, text: string): Promise<void> {
  $('program-name').textContent = name;
  await editors?.setProgram(name, text);
}
async function setScenario(name: string, text: string): Promise<void> {
  $('scenario-name').textContent = name;
  await editors?.setScenario(name, text);
}

// ---- opening files ------------------------------------------------------------------------------
async function openFile(file: File): Promise<void> {
  const name = file.name.replace(/[^\w.+-]/g, '_');
  if (file.size > MAX_OPEN_BYTES)
    return say(
      'error',
      `${name}: ${(file.size / 1048576).toFixed(1)} MiB is more than the 16 MiB the page opens.`,
    );
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (
    /\.o$/i.test(name) ||
    (bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46)
  ) {
    const r = await sim.request({
      kind: 'inspect',
      name,
      bytes,
      ...(kernelConfig ? { kconfig: kernelConfig } : {}),
    });
    if (!r.ok)
      return say(
        'error',
        `${name} cannot be used: ${r.message.replace(`${name}: `, '')}. Build a BPF object with clang -O2 -g -target bpf -c prog.bpf.c -o prog.bpf.o.`,
      );
    if (r.kind !== 'inspect') return;
    files.set(name, { bytes, origin: 'user' });
    renderObjects();
    if (r.needsConfig)
      return say(
        'info',
        `${name} is kept, and runs once its CONFIG_* externs have a kernel config: ${r.needsConfig}.`,
      );
    return say(
      'info',
      `${name}: XDP programs ${r.programs.join(', ')}${r.maps.length ? `; maps ${r.maps.join(', ')}` : ''}. Name it in the scenario's programs[].file.`,
    );
  }
  if (isKernelConfigName(name)) {
    try {
      kernelConfig = await readKernelConfig(name, bytes);
    } catch (e) {
      return say('error', e instanceof Error ? e.message : String(e));
    }
    renderObjects();
    return say(
      'info',
      `${name}: kernel config with ${kconfigOptionCount(kernelConfig.text)} options. Objects' CONFIG_* externs (extern … __kconfig) read it from the next Simulate.`,
    );
  }
  const text = new TextDecoder().decode(bytes);
  if (/\.(c|h)$/i.test(name)) {
    await setProgram(name, text);
    return say(
      'info',
      `${name} opened. Completion, hover and diagnostics run in the page; to simulate it, build ${objectNameFor(name)} with clang (${clangCommandFor(name)}) and open it — clang is not available in a browser.`,
    );
  }
  if (/\.pcap$/i.test(name)) {
    files.set(name, { bytes, origin: 'user' });
    return say('info', `${name}: ${bytes.length} bytes, for traffic entries that name it.`);
  }
  if (/\.json$/i.test(name)) {
    if (text.includes(`"${STATE_FORMAT}"`)) {
      try {
        await applyState(stateFromJson(text));
        return say('info', `${name}: playground restored.`);
      } catch (e) {
        return say('error', `${name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    await setScenario(name, text);
    return say('info', `${name} opened as the scenario.`);
  }
  say(
    'error',
    `${name}: not a file the playground opens (.o, .c, .h, .xdpscenario.json, .pcap, .xdplab.json, a kernel config such as config-$(uname -r) or config.gz).`,
  );
}

async function openFiles(list: FileList | readonly File[]): Promise<void> {
  // Objects first, so a scenario opened with them finds them.
  const sorted = [...list].sort((a, b) => Number(/\.o$/i.test(b.name)) - Number(/\.o$/i.test(a.name)));
  for (const f of sorted) {
    try {
      await openFile(f);
    } catch (e) {
      say('error', `${f.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

// ---- simulate -----------------------------------------------------------------------------------
/** The visualizer (the extension's bundle, with ELK: the page's biggest file) loads on the first
 *  Simulate, not with the editor; its "ready" then fetches the snapshot from the host. */
function ensureVisualizer(): void {
  const frame = $<HTMLIFrameElement>('visualizer');
  if (frame.getAttribute('src')) return;
  frame.src = `visualizer/index.html?theme=${$<HTMLSelectElement>('theme').value}`;
  frame.hidden = false;
  $('visual-placeholder').hidden = true;
}

/** Runs the scenario in the editor (or `scenarioText`, the editor's with the panel's edits). */
async function simulate(host: VisualizerHost, scenarioText?: string): Promise<boolean> {
  if (!editors) return false;
  ensureVisualizer();
  const button = $<HTMLButtonElement>('simulate');
  button.disabled = true;
  clearMessages();
  setStatus('simulating…');
  host.setStatus({ state: 'running', message: 'Simulating in the page…' });
  const state = currentState();
  let last: SimProgress | undefined;
  const r = await sim.request(
    {
      kind: 'simulate',
      scenarioName: state.scenario.name,
      scenarioText: scenarioText ?? state.scenario.text,
      files: [...files.entries()].map(([n, f]) => [n, f.bytes] as [string, Uint8Array]),
      maxSteps: TIMELINE_STEPS,
      ...(kernelConfig ? { kconfig: kernelConfig } : {}),
    },
    // A long run shows its counts as they grow (at most 4 reports a second reach the view).
    (p) => {
      const first = !last;
      const now = performance.now();
      if (!first && now - lastShown < PROGRESS_REDRAW_MS) return void (last = p);
      last = p;
      lastShown = now;
      setStatus(`simulating: ${framesSoFar(p)}`);
      host.progress(p.model, {
        state: 'running',
        message: `simulating ${state.scenario.name}: ${progressText(p)}…`,
      });
    },
  );
  button.disabled = false;
  if (!r.ok && r.stopped) {
    // Stopped by the user: the counts so far stay, as a result (no timeline).
    const text = stoppedText(last);
    setStatus('stopped');
    if (last) host.show(last.model, { state: 'ready', message: text });
    else host.setStatus({ state: 'ready', message: text });
    return true; // what the user asked for, not a failure
  }
  if (!r.ok) {
    setStatus('simulation failed');
    host.setStatus({ state: 'error', message: r.message });
    say('error', r.message);
    return false;
  }
  if (r.kind !== 'simulate') return false;
  host.show(r.model);
  const frames = Object.values(r.summary.devices).reduce((a, d) => a + d.rxFrames, 0);
  // Our verifier's verdict on what ran (issue 11): in the status line, and one message per program.
  const rejected = r.verdicts.filter((v) => v.rejected).length;
  setStatus(
    `simulated in ${r.ms.toFixed(0)} ms · verifier: ${rejected ? `✗ ${rejected} rejected` : `✓ ${r.verdicts.length} accepted`}`,
  );
  for (const v of r.verdicts) say(v.rejected ? 'error' : 'info', v.text);
  (window as unknown as { xdpLabPlayground: Record<string, unknown> }).xdpLabPlayground.lastSummary =
    r.summary;
  for (const c of r.substituted) {
    const edited =
      c === state.program.name && exampleSource !== undefined && state.program.text !== exampleSource;
    say(
      'info',
      `${c} is C source and clang is not available in a browser: the simulation ran ${objectNameFor(c)}` +
        `${files.get(objectNameFor(c))?.origin === 'example' ? ', the object prebuilt from the example' : ''}.` +
        (edited ? ' Your edits to the source are not in it.' : '') +
        ` To simulate other code, build it with ${clangCommandFor(c)} and open the .o.`,
    );
  }
  if (frames === 0) say('info', "No frame arrived at any device: check the scenario's traffic.");
  return true;
}

// ---- start ----------------------------------------------------------------------------------------
async function main(): Promise<void> {
  const hooks: Record<string, unknown> = {};
  (window as unknown as { xdpLabPlayground: Record<string, unknown> }).xdpLabPlayground = hooks;
  const t0 = performance.now();
  // The visualizer frame announces "ready" once; its host must listen before anything is awaited.
  const frame = $<HTMLIFrameElement>('visualizer');
  const host = new VisualizerHost(
    frame,
    {
      openSource: (file, line) => {
        const name = file.split(/[\\/]/).pop();
        if (name !== $('program-name').textContent)
          return { opened: false, message: `${name} is not the program in the editor` };
        const ed = editors?.programEditor();
        ed?.revealLineInCenter(line);
        ed?.setPosition({ lineNumber: line, column: 1 });
        ed?.focus();
        return { opened: true };
      },
      // The panel's traffic edits apply to this run only, as in VS Code (the scenario text is untouched).
      rerun: async (edits) => {
        let text: string | undefined;
        if (edits.length) {
          try {
            const raw = JSON.parse(editors?.scenarioEditor().getValue() ?? '') as unknown;
            text = JSON.stringify(applyTrafficEdits(raw, edits));
          } catch (e) {
            return { ok: false, message: e instanceof Error ? e.message : String(e) };
          }
        }
        const ok = await simulate(host, text);
        return ok ? { ok } : { ok, message: 'the run failed: see the message above the editors' };
      },
      save: (name, content, mime) => download(name, content, mime),
      stop: () => void sim.stop('stopped'),
    },
    (m) => say('error', m),
  );
  hooks.host = host;
  const exampleSelect = $<HTMLSelectElement>('example');
  for (const ex of playgroundExamples) exampleSelect.add(new Option(ex.name, ex.name));
  exampleSelect.add(new Option('(none)', ''));
  const theme: ThemeKind = window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
  $<HTMLSelectElement>('theme').value = theme;
  // `monaco-workbench`: where VS Code's theme service puts the --vscode-* colour variables once the
  // theme changes (the editors, their widgets and menus all sit under it).
  document.body.className = `monaco-workbench theme-${theme}`;

  let initial: PlaygroundState | undefined;
  try {
    initial = await stateFromFragment(window.location.hash);
  } catch (e) {
    say(
      'error',
      `The link's state could not be read: ${e instanceof Error ? e.message : String(e)}. The example is shown instead.`,
    );
  }
  const first = initial ?? {
    ...(await loadExample(playgroundExamples[0].name)),
    objects: [],
    example: playgroundExamples[0].name,
  };
  if (initial) await applyStateFiles(initial);
  exampleSelect.value = first.example ?? '';
  $('program-name').textContent = first.program.name;
  $('scenario-name').textContent = first.scenario.name;
  renderObjects();
  setStatus('starting the editor…');

  editors = await startEditors({
    theme,
    program: first.program,
    scenario: first.scenario,
    programElement: $('program-editor'),
    scenarioElement: $('scenario-editor'),
  });
  hooks.editors = editors;
  hooks.editorStartMs = performance.now() - t0;
  setStatus('ready');

  // The server's CodeLens name the extension's commands; the page answers them as far as a browser can.
  CommandsRegistry.registerCommand('xdpLab.visualizer.open', () => void simulate(host));
  CommandsRegistry.registerCommand('xdpLab.program.run', () =>
    say(
      'info',
      "Run on a frame is in the VS Code extension and `xdp-lab run OBJ --data FRAME --json`. Here, Simulate runs the program on the scenario's traffic.",
    ),
  );
  CommandsRegistry.registerCommand('xdpLab.program.verify', () =>
    say(
      'info',
      'Verify in kernel loads the object into a Linux kernel with bpftool: it needs the VS Code extension on Linux, not a browser.',
    ),
  );
  $('simulate').addEventListener('click', () => void simulate(host));
  const input = $<HTMLInputElement>('file-input');
  $('open-files').addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    if (input.files) void openFiles(input.files).finally(() => (input.value = ''));
  });
  exampleSelect.addEventListener('change', () => {
    const name = exampleSelect.value;
    if (!name) {
      // No example: its prebuilt objects go; the editors keep their text.
      example = undefined;
      exampleSource = undefined;
      for (const [n, f] of [...files]) if (f.origin === 'example') files.delete(n);
      renderObjects();
      return;
    }
    void loadExample(name).then(async (ex) => {
      await setProgram(ex.program.name, ex.program.text);
      await setScenario(ex.scenario.name, ex.scenario.text);
      renderObjects();
    });
  });
  $('theme').addEventListener('change', () => {
    const t = $<HTMLSelectElement>('theme').value as ThemeKind;
    document.body.className = `monaco-workbench theme-${t}`;
    frame.contentWindow?.postMessage({ xdpLabTheme: t }, window.location.origin);
    editors
      ?.setTheme(t)
      .catch((e: unknown) => say('error', `theme: ${e instanceof Error ? e.message : String(e)}`));
  });
  $('save-state').addEventListener('click', () => {
    const s = currentState();
    download(
      `${s.scenario.name.replace(/\.xdpscenario\.json$|\.json$/, '')}.xdplab.json`,
      stateToJson(s),
      'application/json',
    );
  });
  $('share-link').addEventListener('click', () => {
    void (async () => {
      const state = currentState();
      // Objects and a kernel config make links long: without them the link still carries the
      // program and the scenario.
      const extras = state.objects.length > 0 || state.kconfig !== undefined;
      let frag = await stateToFragment(state);
      const withObjects = frag !== undefined && extras;
      if (frag === undefined && extras) {
        const { kconfig: _config, ...bare } = state;
        frag = await stateToFragment({ ...bare, objects: [] });
      }
      if (!frag) return say('info', 'The state is too big for a link: use Save… and share the file.');
      history.replaceState(null, '', `#${frag}`);
      void navigator.clipboard?.writeText(window.location.href).catch(() => undefined);
      say(
        'info',
        `The link in the address bar holds the program and the scenario${withObjects ? ' and the opened files' : ''}` +
          `${state.example ? ` (the ${state.example} example's objects by name)` : ''}, ${frag.length} characters.` +
          (extras && !withObjects
            ? ` The opened ${state.objects.length ? 'objects' : ''}${state.objects.length && state.kconfig ? ' and ' : ''}${state.kconfig ? 'kernel config' : ''} did not fit: use Save… to share them.`
            : ''),
      );
    })();
  });

  let dragDepth = 0;
  const hint = $('drop-hint');
  window.addEventListener('dragenter', (e) => {
    e.preventDefault();
    dragDepth++;
    hint.hidden = false;
  });
  window.addEventListener('dragleave', () => {
    if (--dragDepth <= 0) hint.hidden = true;
  });
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    dragDepth = 0;
    hint.hidden = true;
    if (e.dataTransfer?.files.length) void openFiles(e.dataTransfer.files);
  });
  hooks.ready = true;
}

/** Objects and example files of a restored state, before the editors exist. */
async function applyStateFiles(state: PlaygroundState): Promise<void> {
  if (state.example) await loadExample(state.example);
  for (const o of state.objects) files.set(o.name, { bytes: o.bytes, origin: 'user' });
  kernelConfig = state.kconfig;
}

main().catch((e: unknown) => {
  setStatus('failed to start');
  say('error', `The playground could not start: ${e instanceof Error ? e.message : String(e)}`);
  (window as unknown as { xdpLabPlayground: Record<string, unknown> }).xdpLabPlayground.startError =
    String(e);
});
