// Runs a scenario on files held in memory (the page's editors, the objects the user opened, the
// prebuilt examples): the browser twin of src/extension/visualizer/runner.ts. No clang in a browser:
// a program that names a .c file runs the object of the same base name (x.bpf.c → x.bpf.o) when
// one is at hand, and otherwise the error says how to build it.
import type { KconfigSource, KernelFacts } from '../core/elf/kconfig';
import type { CoreHost } from '../core/host';
import { loadScenario } from '../core/scenario/scenarioLoad';
import type { XdpProgram } from '../core/vm/xdpProgram';
import type { XdpSummary } from '../core/trace/summary';
import { Simulation } from '../core/xdp/simulation';
import type { SimulationResult } from '../core/xdp/simulationResult';
import type { VisModel } from '../protocol/visualizer';
// The adapter is pure (no vscode import) and the one copy of SimulationResult → VisModel; it lives
// beside the panel host for now. scripts/buildPlayground.mjs allows exactly this import.
import { simulationToViewModel } from '../protocol/visualizerFromSimulation';
import { errorPlace, verdictTitle } from '../core/analysis/verdictText';
import { PLAYGROUND_CONFIG_HINT, PLAYGROUND_NO_CONFIG } from './kernelConfigFile';

export interface SimRunRequest {
  /** The scenario's file name (for messages and the title). */
  scenarioName: string;
  scenarioText: string;
  /** Files by base name: objects (.o), pcaps, sources. */
  files: ReadonlyMap<string, Uint8Array>;
  /** Timeline steps kept for the visualizer. */
  maxSteps: number;
  /** Between slices of a long run: the counts so far as a view model (no timeline). */
  onProgress?: (partial: VisModel, progress: { framesInjected: number; framesTotal: number }) => void;
  /** Gives the thread back between slices (the worker's message loop); default setTimeout 0. */
  pause?: () => Promise<void>;
  /** A kernel config the user opened in the page (kernelConfigFile.ts): `.kconfig` externs read it. */
  kconfig?: KconfigSource;
}

/**
 * What a browser knows of the kernel for `.kconfig` externs: no config of its own (a strong
 * CONFIG_ extern's message says how to give one here), LINUX_KERNEL_VERSION the kernel our verifier
 * mirrors (kconfig.ts's default).
 */
export const PAGE_KERNEL_FACTS: KernelFacts = {
  noConfigReason: PLAYGROUND_NO_CONFIG,
  configHint: PLAYGROUND_CONFIG_HINT,
};

export interface SimRunResult {
  model: VisModel;
  summary: XdpSummary;
  /** Programs whose .c was replaced by the object of the same base name. */
  substituted: string[];
  /** Our verifier's verdict on every program of the objects it ran, one line each (issue 11). */
  verdicts: { text: string; rejected: boolean }[];
}

const baseName = (p: string): string => p.split(/[\\/]/).pop() ?? p;

/** x.bpf.c → x.bpf.o, the object `clang -c x.bpf.c` writes. */
export const objectNameFor = (cFile: string): string => baseName(cFile).replace(/\.c$/i, '.o');

export const clangCommandFor = (cFile: string): string =>
  `clang -O2 -g -target bpf -I/usr/include/$(uname -m)-linux-gnu -c ${baseName(cFile)} -o ${objectNameFor(cFile)}`;

export async function runScenarioInMemory(req: SimRunRequest): Promise<SimRunResult> {
  const substituted: string[] = [];
  const host: CoreHost = {
    nowNs: () => BigInt(Math.round(performance.now() * 1e6)),
    log: () => undefined,
    readFile: (path) => {
      const bytes = req.files.get(baseName(path));
      return bytes
        ? Promise.resolve(bytes)
        : Promise.reject(new Error(`${baseName(path)} is not open in the page (open it with "Open files…")`));
    },
    // Every file lives in one flat folder: the page has no directories.
    resolvePath: (_base, relative) => baseName(relative),
  };
  const input = await loadScenario(req.scenarioName, req.scenarioText, {
    host,
    kernelFacts: PAGE_KERNEL_FACTS,
    ...(req.kconfig ? { kconfigExtra: req.kconfig } : {}),
    compileC: (cFile) => {
      const obj = req.files.get(objectNameFor(cFile));
      if (!obj)
        return Promise.reject(
          new Error(
            `${baseName(cFile)} is C source, and clang is not available in a browser. Build the object ` +
              `on a machine with clang (${clangCommandFor(cFile)}) and open ${objectNameFor(cFile)} here, ` +
              `or name the .o in the scenario.`,
          ),
        );
      substituted.push(baseName(cFile));
      return Promise.resolve(obj);
    },
  });

  const programSources = new Map<string, { file: string; line?: number; redirectLine?: number }>();
  for (const p of input.scenario.programs) {
    if (p.file === undefined) continue;
    const obj = input.objects.get(p.file) as { programs: readonly XdpProgram[] } | undefined;
    const prog = obj?.programs.find((h) => h.name === (p.function ?? h.name));
    if (!prog) continue;
    const first = prog.sourceOf(0);
    const call = prog.redirectCallSource();
    const file = /\.c$/i.test(p.file) ? baseName(p.file) : first?.file ? baseName(first.file) : undefined;
    if (file)
      programSources.set(p.name, {
        file,
        ...(first ? { line: first.line } : {}),
        ...(call ? { redirectLine: call.line } : {}),
      });
  }
  const raw = JSON.parse(req.scenarioText) as { traffic?: unknown };
  const view = (result: SimulationResult): VisModel =>
    simulationToViewModel({
      result,
      scenario: input.scenario,
      ...(Array.isArray(raw.traffic) ? { rawTraffic: raw.traffic } : {}),
      title: req.scenarioName.replace(/\.xdpscenario\.json$/, ''),
      scenarioPath: req.scenarioName,
      programSources,
      warnings: input.verifierWarnings,
    });
  const result = await new Simulation(input, {
    maxEvents: 0,
    maxSteps: Math.max(1, req.maxSteps),
  }).runInSlices({
    now: () => performance.now(),
    pause: req.pause ?? (() => new Promise<void>((resolve) => setTimeout(resolve, 0))),
    ...(req.onProgress
      ? {
          onProgress: (p) =>
            req.onProgress?.(view(p.partial), {
              framesInjected: p.framesInjected,
              framesTotal: p.framesTotal,
            }),
        }
      : {}),
  });
  const verdicts = [...input.verifierReports].flatMap(([file, report]) =>
    report.programs.map((p) => ({
      text: `${objectNameFor(file)} · ${p.name}: ${verdictTitle(p)}${p.error ? ` (${errorPlace(p.error)})` : ''}`,
      rejected: p.verdict === 'rejected',
    })),
  );
  return { model: view(result), summary: result.summary, substituted, verdicts };
}
