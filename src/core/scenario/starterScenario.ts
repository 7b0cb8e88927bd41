// A starter scenario for an XDP program source (command xdpLab.scenario.create): the XDP programs
// and redirect maps the source declares (found textually, so it works before the first compile),
// two veth pairs, the first program on the receiving end, a devmap entry, and a little UDP traffic.
import { STARTER_FRAME, type StarterProbe } from './starterProbe';

const MAX_STARTER_CPUS = 64;

export interface StarterInfo {
  programs: Array<{ function: string; section: string }>;
  maps: Array<{ name: string; type: string }>;
}

const secFn = /SEC\(\s*"([^"]+)"\s*\)\s*(?:static\s+)?(?:__always_inline\s+)?int\s+([A-Za-z_]\w*)\s*\(/g;
const mapDecl =
  /__uint\(\s*type\s*,\s*(BPF_MAP_TYPE_\w+)\s*\)[\s\S]*?\}\s*([A-Za-z_]\w*)\s+SEC\(\s*"\.maps"\s*\)/g;

/** The XDP programs and maps declared in a BPF C source. */
export function scanSource(source: string): StarterInfo {
  const programs: StarterInfo['programs'] = [];
  for (const m of source.matchAll(secFn)) {
    const section = m[1] as string;
    if (section === 'xdp' || section.startsWith('xdp.') || section.startsWith('xdp/'))
      programs.push({ function: m[2] as string, section });
  }
  const maps: StarterInfo['maps'] = [];
  for (const m of source.matchAll(mapDecl))
    maps.push({ name: m[2] as string, type: (m[1] as string).replace('BPF_MAP_TYPE_', '') });
  return { programs, maps };
}

/**
 * The scenario JSON text (two-space indented) for `file` (as it should appear in "file"). `probe`:
 * what the program did with the starter frame (starterProbe.ts) — its redirect maps then get entries
 * at the keys it looked up, so the first visualization shows it redirecting.
 */
export function starterScenario(file: string, source: string, probe?: StarterProbe): string {
  const { programs, maps } = scanSource(source);
  const attachable = programs.filter((p) => !/devmap|cpumap/.test(p.section));
  const main = attachable[0];
  const passFn = attachable.find((p) => /pass/i.test(p.function) && p !== main);
  const progs = [
    ...(main ? [{ name: 'main', file, function: main.function }] : []),
    ...(passFn ? [{ name: 'pass', file, function: passFn.function }] : []),
  ];
  const devmap = maps.find((m) => m.type === 'DEVMAP' || m.type === 'DEVMAP_HASH');
  const cpumap = maps.find((m) => m.type === 'CPUMAP');
  const scenario: Record<string, unknown> = {
    version: 1,
    description: `Starter scenario for ${file}: frames sent from a0 arrive at r1, where the program runs.`,
    cpus: 2,
    programs: progs,
    devices: [
      { name: 'a0', kind: 'veth', peer: 'r1' },
      { name: 'r1', kind: 'veth', peer: 'a0', ...(main ? { xdp: { program: 'main', mode: 'native' } } : {}) },
      { name: 'r2', kind: 'veth', peer: 'c0' },
      {
        name: 'c0',
        kind: 'veth',
        peer: 'r2',
        ...(passFn ? { xdp: { program: 'pass', mode: 'native' } } : { gro: true }),
      },
    ],
  };
  const mapEntries: Record<string, unknown> = {};
  const probed = (name: string): number[] => probe?.redirectKeys[name] ?? [];
  if (devmap) {
    const keys = probed(devmap.name);
    mapEntries[devmap.name] = keys.length
      ? keys.map((key) => ({ key, value: 'r2' }))
      : [{ key: devmap.type === 'DEVMAP_HASH' ? 'r2' : 0, value: 'r2' }];
  }
  if (cpumap) {
    const keys = probed(cpumap.name).filter((k) => k < MAX_STARTER_CPUS);
    mapEntries[cpumap.name] = (keys.length ? keys : [1]).map((key) => ({ key, value: { qsize: 256 } }));
    // A CPU the program picks must exist in the scenario.
    scenario.cpus = Math.max(2, ...keys.map((k) => k + 1));
  }
  if (Object.keys(mapEntries).length) scenario.maps = mapEntries;
  scenario.traffic = [{ from: 'a0', count: 16, frame: STARTER_FRAME }];
  if (probe && Object.keys(probe.redirectKeys).length)
    scenario.description = `${String(scenario.description)} Redirect map entries sit at the keys ${main?.function ?? 'the program'} looked up for this traffic.`;
  return JSON.stringify(scenario, null, 2) + '\n';
}
