// Turns a scenario file into everything a simulation needs: the validated scenario, one loaded
// object per program file (C files compiled through the caller's compiler, since core cannot
// spawn clang), and the frames of the pcap files its traffic names. Errors name the JSON path.
import { Btf } from '../elf/btf';
import { GlobalError, setGlobal } from '../elf/globals';
import { loadObject } from '../elf/loadObject';
import { readXdpRunConfigs, type XdpRunConfig } from '../elf/xdpRunConfig';
import type { LoadedObject as ElfObject, LoadOptions } from '../elf/loadObject';
import type { CoreHost } from '../host';
import { PcapError, readPcap } from '../packet/pcap';
import { BpfSystem } from '../vm/bpfSystem';
import type { VmTier } from '../vm/compiler';
import { simulationTier } from '../xdp/simulationTier';
import type { SimulationInput } from '../xdp/simulation';
import { scenarioIfindexes } from '../xdp/simulation';
import type { Scenario } from './scenario';
import { ScenarioError, parseScenarioText } from './scenarioParse';
import { scenarioLimits } from './scenarioLimits';
import { rejectionWarning } from '../analysis/verdictText';
import type { VerifyReport } from '../verifier/verdict';
import { verifyObject } from '../verifier/verifyObject';

export interface ScenarioLoadHost {
  host: CoreHost;
  /** Compiles a C file (absolute path) to a BPF object; absent → C programs are refused. */
  compileC?: (file: string) => Promise<Uint8Array>;
  /** The kernel BTF CO-RE resolves against (the host's /sys/kernel/btf/vmlinux; a function is called
   *  only if some object needs it); absent → bundled. */
  targetBtf?: Uint8Array | (() => Uint8Array | undefined);
  targetBtfName?: string;
  /** The kernel config and facts `.kconfig` externs read (loadObject's options; the host's config). */
  kconfig?: LoadOptions['kconfig'];
  kconfigExtra?: LoadOptions['kconfigExtra'];
  kernelFacts?: LoadOptions['kernelFacts'];
  /** Which compiler runs the scenario's programs (default: simulationTier(), docs/simulator.md). */
  tier?: VmTier;
}

export interface LoadedScenario extends SimulationInput {
  system: BpfSystem;
  /** Programs of the scenario our verifier rejects (issue 11): they still run, with this said. */
  verifierWarnings: string[];
  /** Our verifier's report per program file (absent when it cannot judge the object). */
  verifierReports: Map<string, VerifyReport>;
}

/** libbpf's object name: the file name up to the first '.'. */
function objectName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.split('.')[0] || 'obj';
}

/** Loads a scenario given as text (read by the caller from `path`). Throws ScenarioError. */
export async function loadScenario(
  path: string,
  text: string,
  env: ScenarioLoadHost,
): Promise<LoadedScenario> {
  const scenario: Scenario = parseScenarioText(text);
  const known = scenarioIfindexes(scenario);
  const system = new BpfSystem({
    tier: env.tier ?? simulationTier(),
    possibleCpus: scenario.cpus,
    redirectEnv: { ifindexExists: (i) => known.has(i) },
    mtuOf: (i) => scenario.devices.find((d) => d.simIfindex === i)?.mtu ?? (i === 1 ? 65536 : 1500),
  });
  // The conntrack table before the first frame (checked by the parser).
  (scenario.conntrack ?? []).forEach((c, i) => system.conntrack.add(c, `$.conntrack[${i}]`));
  const objects = new Map<string, ElfObject>();
  // One read and parse of the kernel BTF for all objects, and only if a CO-RE relocation needs it.
  let parsed: Btf | null | undefined;
  const source = env.targetBtf;
  const targetBtf = source
    ? (): Btf | undefined => {
        if (parsed === undefined) {
          const raw = typeof source === 'function' ? source() : source;
          parsed = raw ? new Btf(raw) : null;
        }
        return parsed ?? undefined;
      }
    : undefined;
  const objectBytes = new Map<string, Uint8Array>();
  for (let i = 0; i < scenario.programs.length; i++) {
    const p = scenario.programs[i] as Scenario['programs'][number];
    // A program without a local object (imported from a host) has nothing to load.
    const file = p.file;
    if (file === undefined || objects.has(file)) continue;
    const where = `$.programs[${i}].file`;
    const abs = env.host.resolvePath(path, file);
    let bytes: Uint8Array;
    try {
      if (/\.c$/i.test(file)) {
        if (!env.compileC)
          throw new Error('C files need clang, which this host cannot run; give the compiled .o');
        bytes = await env.compileC(abs);
      } else bytes = await env.host.readFile(abs);
    } catch (e) {
      throw new ScenarioError(where, e instanceof Error ? e.message : String(e));
    }
    try {
      objects.set(
        file,
        loadObject(bytes, {
          system,
          name: objectName(file),
          ...(targetBtf ? { targetBtf, targetBtfName: env.targetBtfName } : {}),
          ...kconfigOf(env),
        }),
      );
      objectBytes.set(file, bytes);
    } catch (e) {
      throw new ScenarioError(where, `cannot load ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // Globals (a skeleton's initial values): programs of one file share one object and its globals.
  const setBy = new Map<string, { value: string; path: string }>();
  scenario.programs.forEach((p, i) => {
    const obj = p.file !== undefined ? objects.get(p.file) : undefined;
    for (const [name, value] of Object.entries(p.globals ?? {})) {
      const where = `$.programs[${i}].globals.${name}`;
      const key = `${p.file ?? ''}\0${name}`;
      const prev = setBy.get(key);
      if (prev && prev.value !== JSON.stringify(value))
        throw new ScenarioError(
          where,
          `${prev.path} sets it to ${prev.value} in the same object (${p.file ?? ''}); programs of one file share its globals`,
        );
      setBy.set(key, { value: JSON.stringify(value), path: where });
      try {
        if (obj) setGlobal(obj.globals, name, value);
      } catch (e) {
        if (e instanceof GlobalError) throw new ScenarioError(where, e.message);
        throw e;
      }
    }
  });
  const pcaps = new Map<string, Uint8Array[]>();
  let total = 0;
  for (const t of scenario.traffic) {
    if (t.pcap === undefined) {
      total += t.count;
      continue;
    }
    let frames = pcaps.get(t.pcap);
    if (!frames) {
      const abs = env.host.resolvePath(path, t.pcap);
      let bytes: Uint8Array;
      try {
        bytes = await env.host.readFile(abs);
      } catch (e) {
        throw new ScenarioError(`${t.path}.pcap`, e instanceof Error ? e.message : String(e));
      }
      try {
        frames = readPcap(bytes, t.pcap, { maxFrames: scenarioLimits.maxPcapFrames });
      } catch (e) {
        if (e instanceof PcapError) throw new ScenarioError(`${t.path}.pcap`, e.message);
        throw e;
      }
      const short = frames.findIndex((f) => f.length < 14);
      if (short >= 0)
        throw new ScenarioError(
          `${t.path}.pcap`,
          `frame ${short + 1} has ${frames[short]?.length} bytes, less than an Ethernet header`,
        );
      pcaps.set(t.pcap, frames);
    }
    total += t.count * frames.length;
    if (total > scenarioLimits.maxTotalFrames)
      throw new ScenarioError(
        `${t.path}.count`,
        `the scenario would inject more than ${scenarioLimits.maxTotalFrames} frames`,
      );
  }
  const verifierReports = new Map<string, VerifyReport>();
  for (const [file, bytes] of objectBytes) {
    try {
      // The same target BTF as the load above: CO-RE resolved as the simulation runs it.
      verifierReports.set(
        file,
        verifyObject(bytes, {
          ...(targetBtf ? { targetBtf, targetBtfName: env.targetBtfName } : {}),
          ...kconfigOf(env),
        }),
      );
    } catch {
      // The verifier cannot judge this object (the loader above could): no verdict, no warning.
    }
  }
  const verifierWarnings: string[] = [];
  for (const p of scenario.programs) {
    if (p.file === undefined) continue;
    const fn = objects.get(p.file)?.programs.find((h) => h.name === (p.function ?? h.name))?.name;
    const verdict = verifierReports.get(p.file)?.programs.find((v) => v.name === fn);
    const w = verdict ? rejectionWarning(verdict) : undefined;
    if (w && !verifierWarnings.includes(w)) verifierWarnings.push(w);
  }
  // libxdp's XDP_RUN_CONFIG of each object (the defaults of a dispatcher chain's entries).
  const runConfigs = new Map<string, Map<string, XdpRunConfig> | string>();
  for (const [file, bytes] of objectBytes) {
    try {
      runConfigs.set(file, readXdpRunConfigs(bytes));
    } catch (e) {
      runConfigs.set(file, e instanceof Error ? e.message : String(e));
    }
  }
  return { scenario, objects, pcaps, system, verifierWarnings, verifierReports, runConfigs };
}

/** The host's kernel config for loadObject/verifyObject, when it gave one. */
function kconfigOf(env: ScenarioLoadHost): Pick<LoadOptions, 'kconfig' | 'kconfigExtra' | 'kernelFacts'> {
  return {
    ...(env.kconfig ? { kconfig: env.kconfig } : {}),
    ...(env.kconfigExtra ? { kconfigExtra: env.kconfigExtra } : {}),
    ...(env.kernelFacts ? { kernelFacts: env.kernelFacts } : {}),
  };
}
