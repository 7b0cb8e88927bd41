// The simulator's Web Worker: loads the objects, runs the scenario, adapts the result for the
// visualizer. Every failure is a message naming what and why (ScenarioError carries the JSON path).
import { KconfigError } from '../core/elf/kconfig';
import { loadObject } from '../core/elf/loadObject';
import { ScenarioError } from '../core/scenario/scenarioParse';
import { SimulationSetupError } from '../core/xdp/simulation';
import type { SimWorkerReply, SimWorkerRequest } from './simProtocol';
import { PAGE_KERNEL_FACTS, runScenarioInMemory } from './simRun';

const scope = self as unknown as Worker;

/** A turn of the worker's event loop without setTimeout's 4 ms clamp (a message to itself). */
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
function yieldToMessages(): Promise<void> {
  return new Promise<void>((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}

function describe(e: unknown, what: string): string {
  if (e instanceof ScenarioError || e instanceof SimulationSetupError) return `${what} ${e.path}: ${e.why}`;
  if (e instanceof SyntaxError) return `${what}: not JSON: ${e.message}`;
  return `${what}: ${e instanceof Error ? e.message : String(e)}`;
}

async function handle(req: SimWorkerRequest): Promise<SimWorkerReply> {
  if (req.kind === 'inspect') {
    let obj: ReturnType<typeof loadObject>;
    try {
      obj = loadObject(req.bytes, {
        name: req.name.split('.')[0] || 'obj',
        kernelFacts: PAGE_KERNEL_FACTS,
        ...(req.kconfig ? { kconfigExtra: req.kconfig } : {}),
      });
    } catch (e) {
      // A strong CONFIG_ extern with no config (or one that does not set it) is not a bad object:
      // the page keeps it, and it runs once the user opens a config that sets its externs.
      if (e instanceof Error && e.cause instanceof KconfigError)
        return { id: req.id, ok: true, kind: 'inspect', programs: [], maps: [], needsConfig: e.message };
      throw e;
    }
    if (!obj.programs.length) throw new Error('no XDP program in this object (no SEC("xdp") function)');
    return {
      id: req.id,
      ok: true,
      kind: 'inspect',
      programs: obj.programs.map((p) => p.name),
      maps: obj.maps.map((m) => m.name),
    };
  }
  const t0 = performance.now();
  const id = req.id;
  const r = await runScenarioInMemory({
    scenarioName: req.scenarioName,
    scenarioText: req.scenarioText,
    files: new Map(req.files),
    maxSteps: req.maxSteps,
    ...(req.kconfig ? { kconfig: req.kconfig } : {}),
    pause: yieldToMessages,
    onProgress: (model, p) => {
      const progress: SimWorkerReply = { id, ok: true, kind: 'progress', model, ...p };
      scope.postMessage(progress);
    },
  });
  return { id: req.id, ok: true, kind: 'simulate', ...r, ms: performance.now() - t0 };
}

scope.onmessage = (ev: MessageEvent<SimWorkerRequest>) => {
  const req = ev.data;
  handle(req).then(
    (reply) => scope.postMessage(reply),
    (e: unknown) => {
      const reply: SimWorkerReply = {
        id: req.id,
        ok: false,
        message: describe(e, req.kind === 'inspect' ? req.name : req.scenarioName),
      };
      scope.postMessage(reply);
    },
  );
};
