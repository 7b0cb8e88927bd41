// Runs one XDP program on the same frames in the kernel (`bpftool prog run` pinned to CPU 0 with
// taskset, so per-CPU values land where the VM's `testRun({cpu: 0})` puts them) and in the VM, and
// compares retval, data_out and every map's entries after each frame (`bpftool map dump` against
// the VM's map state). realWorldMaps.test.ts uses it with own fixtures; any object can be given.
import fs from 'node:fs';
import path from 'node:path';
import { loadObject } from '../../../src/core/elf/loadObject';
import type { LoadedObject as VmObject } from '../../../src/core/elf/loadObject';
import type { BpfMap, MapDef } from '../../../src/core/maps/bpfMap';
import { MapType } from '../../../src/core/maps/bpfMap';
import { BpfSystem } from '../../../src/core/vm/bpfSystem';
import type { VmTier } from '../../../src/core/vm/compiler';
import { run } from './exec';
import { kernelRun, vmRun } from './testRuns';
import type { Lab } from './lab';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Number of possible CPUs (the length of every per-CPU value bpftool dumps). */
export function possibleCpus(): number {
  const text = fs.readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  return text.split(',').reduce((n, part) => {
    const [a, b] = part.split('-').map(Number);
    return n + (b === undefined ? 1 : b - (a as number) + 1);
  }, 0);
}

export interface MapRunCase {
  /** The object the VM loads (and the kernel, unless kernelObj is given). */
  obj: string;
  /** What the kernel loads instead (an object's own loader's twin), when it differs. */
  kernelObj?: string;
  /** The program to run (function name). */
  prog: string;
  /** The VM's compiler tier (default 'js'). */
  tier?: VmTier;
  frames: [string, Uint8Array][];
  /** `bpftool prog loadall … type T` (sections libbpf does not know, e.g. loxilb's `xdp_packet_hook`). */
  type?: string;
  /**
   * Loads the kernel side instead of `bpftool prog loadall`, pinning each program at `progDir/NAME`
   * (objects libbpf refuses: a legacy `maps` section, loaded as samples/bpf's bpf_load.c does; maps
   * left at 0 entries for their loader to size). `vm` is the VM's load, its `sections` already
   * written: the hook gives the kernel the same `.rodata`/`.data` contents.
   */
  load?: (obj: string, progDir: string, vm: VmObject) => void;
  /**
   * Whole contents of global-data sections before the load, by section (`.rodata`: hex), as
   * bpf_map__set_initial_value writes them (pping's loader; static variables have no other way in).
   * Written into the VM's map; needs `load` to give the kernel the same.
   */
  sections?: Record<string, string>;
  /** Entries written through the user-space path before the first frame: map → [key hex, value hex]. */
  preload?: Record<string, [string, string][]>;
  /**
   * Inner maps created before the first frame and stored into a map-in-map's slot (`bpftool map
   * create` + `map update … value pinned`; the VM's createMap + userUpdate), by outer map: katran's
   * per-CPU LRUs in `lru_mapping`. Each is compared after every frame as `outer[keyhex]` (its name
   * in the report and in `mask`).
   */
  inner?: Record<string, { key: string; def: Omit<MapDef, 'name'> }[]>;
  /**
   * Value byte ranges [from, to) zeroed on both sides before comparing, by map name (every entry)
   * or by `name:keyhex` (one entry): what differs by nature (bpf_ktime_get_ns timestamps, counters
   * of the current second, bpf_get_prandom_u32 values), never what the program computes.
   */
  mask?: Record<string, [number, number][]>;
}

export interface MapRunReport {
  /** Every difference found (empty: equal). */
  diffs: string[];
  /** Maps compared after every frame, with their entry count after the last frame. */
  compared: Record<string, number>;
  /** Maps not compared, with why. */
  skipped: Record<string, string>;
  /** The kernel's retval per frame (-1: refused). */
  verdicts: number[];
  /** The kernel's entries of each compared map after the last frame ("key=value", masked). */
  final: Record<string, string[]>;
}

/** Map types whose values are kernel ids or fds (prog array, map-in-map): compared by key only. */
const ID_VALUES = new Set<number>([MapType.PROG_ARRAY, MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS]);
/** What `bpftool map dump` cannot show as entries: perf event arrays (fds), queue/stack, ring buffers, xskmaps. */
const UNDUMPABLE = new Set<number>([
  MapType.PERF_EVENT_ARRAY,
  MapType.QUEUE,
  MapType.STACK,
  MapType.RINGBUF,
  MapType.XSKMAP,
]);
const ARRAYS = new Set<number>([MapType.ARRAY, MapType.PERCPU_ARRAY]);
/** Arrays above this many slots (× CPUs) are not dumped (katran's 33 M-slot rings: dumps of hours). */
const MAX_ARRAY_SLOTS = 1 << 18;

type Masks = MapRunCase['mask'];

function masked(valueHex: string, ranges: [number, number][] | undefined): string {
  if (!ranges) return valueHex;
  const b = Buffer.from(valueHex, 'hex');
  for (const [from, to] of ranges) b.fill(0, from, Math.min(to, b.length));
  return b.toString('hex');
}

/** An array slot whose value (every CPU's) is all zeroes: left out on both sides. */
const zero = (v: string): boolean => /^[0|]*$/.test(v);

/** Entries as sorted "key=value" strings (per-CPU values joined by '|'); empty DEVMAP slots skipped. */
/** The ranges masked in map `m`'s entry of key `key` (hex). */
const rangesOf = (masks: Masks, m: BpfMap, key: string): [number, number][] | undefined =>
  masks?.[`${m.name}:${key}`] ?? masks?.[m.name];

function kernelEntries(dump: unknown[], m: BpfMap, masks: Masks): string[] {
  const bytes = (a: unknown): string => (a as string[]).map((x) => x.slice(2)).join('');
  return dump
    .filter((e) => !(e as { error?: string }).error && !(e as { value?: { error?: string } }).value?.error)
    .map((e) => {
      const x = e as { key: string[]; value?: string[]; values?: { cpu: number; value: string[] }[] };
      const ranges = rangesOf(masks, m, bytes(x.key));
      const v = x.values
        ? x.values.map((c) => masked(bytes(c.value), ranges)).join('|')
        : ID_VALUES.has(m.type)
          ? 'id'
          : masked(bytes(x.value), ranges);
      return `${bytes(x.key)}=${v}`;
    })
    .filter((s) => !(ARRAYS.has(m.type) && zero(s.split('=')[1]!)))
    .sort();
}

function vmEntries(m: BpfMap, masks: Masks): string[] {
  return m
    .dump()
    .map((e) => {
      const ranges = rangesOf(masks, m, hex(e.key));
      return `${hex(e.key)}=${
        e.values
          ? e.values.map((v) => masked(hex(v), ranges)).join('|')
          : ID_VALUES.has(m.type)
            ? 'id'
            : masked(hex(e.value), ranges)
      }`;
    })
    .filter((s) => !(ARRAYS.has(m.type) && zero(s.split('=')[1]!)))
    .sort();
}

/** A map of the loaded program as the kernel names it (BPF_OBJ_NAME_LEN: 15 characters). */
interface KernelMap {
  id: number;
  name: string;
}

/** The maps program `pin` uses (`bpftool prog show`'s map_ids), with their kernel names. */
function programMaps(pin: string): KernelMap[] {
  const show = JSON.parse(run(['bpftool', '-j', 'prog', 'show', 'pinned', pin]).stdout) as {
    map_ids?: number[];
  };
  return (show.map_ids ?? []).map((id) => ({
    id,
    name: (JSON.parse(run(['bpftool', '-j', 'map', 'show', 'id', String(id)]).stdout) as { name: string })
      .name,
  }));
}

/** The kernel's name of VM map `m` (BPF_OBJ_NAME_LEN: 15 characters), or its internal section suffix. */
const kernelName = (m: BpfMap): string => m.name.slice(0, 15);
const isInternal = (m: BpfMap): boolean => m.name.includes('.');

/**
 * The kernel map that holds VM map `m` among `maps` (the program's, by id): libbpf names a map by
 * its first 15 characters, and an internal one (`.bss`, `.data`, `.rodata`) by a prefix of the
 * object's name and the section (bpf_object__init_internal_map's internal_map_name). Maps whose
 * 15 characters are the same (prototype-kernel's `port_blacklist_drop_count_{tcp,udp}`) are paired
 * in order: loaders create them in declaration order, so their ids rise in it. `vmMaps` are the
 * VM's maps in declaration order; undefined when the pairing is not certain.
 */
function kernelMapFor(m: BpfMap, maps: KernelMap[], vmMaps: readonly BpfMap[]): KernelMap | undefined {
  if (isInternal(m)) {
    const suffix = m.name.slice(m.name.lastIndexOf('.'));
    return maps.find((k) => k.name.endsWith(suffix));
  }
  const same = maps.filter((k) => k.name === kernelName(m)).sort((a, b) => a.id - b.id);
  if (same.length <= 1) return same[0];
  const twins = vmMaps.filter((v) => !isInternal(v) && kernelName(v) === kernelName(m));
  return twins.length === same.length ? same[twins.indexOf(m)] : undefined;
}

const BPFFS = '/sys/fs/bpf';
/** bpftool's names of the map types inner maps are made of. */
const BPFTOOL_TYPE: Record<number, string> = {
  [MapType.HASH]: 'hash',
  [MapType.ARRAY]: 'array',
  [MapType.PERCPU_HASH]: 'percpu_hash',
  [MapType.PERCPU_ARRAY]: 'percpu_array',
  [MapType.LRU_HASH]: 'lru_hash',
  [MapType.LRU_PERCPU_HASH]: 'lru_percpu_hash',
};

/**
 * Loads `c.obj` in the kernel (programs pinned under lab.pinDir(pinName)) and in a VM of as many
 * CPUs as the machine, writes the preload entries on both sides, then runs every frame in both,
 * comparing the outcome and every dumpable map the program uses after each frame. Maps are found
 * through the program's map ids, not their pins: objects whose maps say `LIBBPF_PIN_BY_NAME`
 * (xdp-tools, xdp-tutorial, xdp-cpumap-tc) make libbpf pin them in /sys/fs/bpf itself, where an
 * existing pin would be reused with its old contents, so the load is refused if one exists and the
 * pins it creates are removed at the end. Stops collecting after a dozen differences.
 */
/**
 * `bpftool prog loadall OBJ DIR/progs [type T] pinmaps DIR/maps`. The map pins matter: a PROG_ARRAY
 * loses its entries when its last user reference goes (prog_array_map_clear from
 * bpf_map_put_uref), so without them libbpf's `.values` slots would be gone once bpftool exits.
 * pinmaps fails on maps libbpf pins by name itself (those pins hold the reference): load again
 * without it then.
 */
function bpftoolLoad(obj: string, progDir: string, type: string | undefined): void {
  const argv = ['bpftool', 'prog', 'loadall', obj, progDir, ...(type ? ['type', type] : [])];
  const r = run([...argv, 'pinmaps', path.join(path.dirname(progDir), 'maps')], { allowFailure: true });
  if (r.status === 0) return;
  if (!/already has pin path/.test(r.stderr)) throw new Error(`${argv.join(' ')} pinmaps …: ${r.stderr}`);
  fs.rmSync(progDir, { recursive: true, force: true });
  run(argv);
}

export function compareMapsAfterRuns(lab: Lab, pinName: string, c: MapRunCase): MapRunReport {
  const vm = loadObject(new Uint8Array(fs.readFileSync(c.obj)), {
    name: path.basename(c.obj).replace(/\..*$/, ''),
    system: new BpfSystem({ possibleCpus: possibleCpus(), tier: c.tier ?? 'js' }),
  });
  const before = new Set(fs.readdirSync(BPFFS));
  const clash = vm.maps.filter((m) => before.has(m.name)).map((m) => m.name);
  if (clash.length)
    throw new Error(`${BPFFS} already holds ${clash.join(', ')}: not ours to reuse or remove`);
  const progDir = path.join(lab.pinDir(pinName), 'progs');
  try {
    for (const [section, value] of Object.entries(c.sections ?? {})) {
      const m = vm.maps.find((x) => x.name.endsWith(section));
      const bytes = new Uint8Array(Buffer.from(value, 'hex'));
      if (!m || m.def.valueSize !== bytes.length)
        throw new Error(`sections: no ${section} of ${bytes.length} bytes`);
      if (m.userUpdate(new Uint8Array(4), bytes, 0) !== 0)
        throw new Error(`sections: the VM refused ${section}`);
    }
    if (c.sections && !c.load) throw new Error('sections: bpftool loadall cannot set them; give a load hook');
    if (c.load) c.load(c.kernelObj ?? c.obj, progDir, vm);
    else bpftoolLoad(c.kernelObj ?? c.obj, progDir, c.type);
    return compareLoaded(lab, vm, path.join(progDir, c.prog), c);
  } finally {
    const names = new Set(vm.maps.map((m) => m.name));
    for (const f of fs.readdirSync(BPFFS))
      if (!before.has(f) && names.has(f)) fs.rmSync(path.join(BPFFS, f), { force: true });
  }
}

function compareLoaded(lab: Lab, vm: VmObject, progPin: string, c: MapRunCase): MapRunReport {
  if (!fs.existsSync(progPin)) throw new Error(`the kernel has no program ${c.prog}`);
  const report: MapRunReport = { diffs: [], compared: {}, skipped: {}, verdicts: [], final: {} };
  const kmaps = programMaps(progPin);
  const ids = new Map<BpfMap, number>();
  for (const m of vm.maps) {
    const k = kernelMapFor(m, kmaps, vm.maps);
    if (!k) report.skipped[m.name] = 'not used by the program';
    else if (UNDUMPABLE.has(m.type)) report.skipped[m.name] = `type ${m.type}: bpftool does not dump entries`;
    else if (ARRAYS.has(m.type) && m.def.maxEntries * possibleCpus() > MAX_ARRAY_SLOTS)
      report.skipped[m.name] = `${m.def.maxEntries} slots: too large to dump after every frame`;
    else ids.set(m, k.id);
  }
  // One `bpftool batch` for the kernel's entries (katran's rings are 65,537 of them).
  const batch: string[] = [];
  for (const [map, entries] of Object.entries(c.preload ?? {})) {
    const m = vm.map(map);
    const k = m && kernelMapFor(m, kmaps, vm.maps);
    if (!m || !k) throw new Error(`preload: no map ${map} used by ${c.prog}`);
    for (const [key, value] of entries) {
      batch.push(`map update id ${k.id} key hex ${pairs(key).join(' ')} value hex ${pairs(value).join(' ')}`);
      const err = m.userUpdate(Buffer.from(key, 'hex'), new Uint8Array(Buffer.from(value, 'hex')), 0);
      if (err !== 0) throw new Error(`preload ${map}: the VM answered ${err}`);
    }
  }
  for (const [outer, slots] of Object.entries(c.inner ?? {})) {
    const m = vm.map(outer);
    const k = m && kernelMapFor(m, kmaps, vm.maps);
    if (!m || !k) throw new Error(`inner: no map ${outer} used by ${c.prog}`);
    for (const { key, def } of slots) {
      const name = `${outer}[${key}]`;
      const pin = path.join(path.dirname(progPin), `..`, `inner_${outer}_${key}`);
      run([
        'bpftool',
        'map',
        'create',
        pin,
        'type',
        BPFTOOL_TYPE[def.type] ?? String(def.type),
        'key',
        String(def.keySize),
        'value',
        String(def.valueSize),
        'entries',
        String(def.maxEntries),
        'name',
        `inner${key}`.slice(0, 15),
        'flags',
        String(def.flags),
      ]);
      run([
        'bpftool',
        'map',
        'update',
        'id',
        String(k.id),
        'key',
        'hex',
        ...pairs(key),
        'value',
        'pinned',
        pin,
      ]);
      const innerMap = vm.system.createMap({ ...def, name });
      const err = m.userUpdate(Buffer.from(key, 'hex'), innerMap, 0);
      if (err !== 0) throw new Error(`inner ${name}: the VM answered ${err}`);
      const id = (JSON.parse(run(['bpftool', '-j', 'map', 'show', 'pinned', pin]).stdout) as { id: number })
        .id;
      ids.set(innerMap, id);
    }
  }
  if (batch.length) {
    const file = path.join(lab.tmp, 'maprun-preload.batch');
    fs.writeFileSync(file, batch.join('\n') + '\n');
    run(['bpftool', 'batch', 'file', file], { timeoutMs: 600_000 });
  }
  for (const [label, frame] of c.frames) {
    const k = kernelRun(progPin, frame, lab.tmp);
    report.verdicts.push(k.retval ?? -1);
    const v = vmRun(vm, c.prog, frame);
    if (JSON.stringify(k) !== JSON.stringify(v))
      report.diffs.push(`${label}: kernel ${JSON.stringify(k)} VM ${JSON.stringify(v)}`);
    for (const [m, id] of ids) {
      const dump = JSON.parse(run(['bpftool', '-j', 'map', 'dump', 'id', String(id)]).stdout) as unknown[];
      const ke = kernelEntries(dump, m, c.mask);
      const ve = vmEntries(m, c.mask);
      report.compared[m.name] = ke.length;
      report.final[m.name] = ke;
      if (JSON.stringify(ke) !== JSON.stringify(ve))
        report.diffs.push(`${label}: map ${m.name}: kernel ${JSON.stringify(ke)} VM ${JSON.stringify(ve)}`);
    }
    if (report.diffs.length > 12) break;
  }
  return report;
}

/** "0a0b" → ["0a", "0b"] (bpftool's hex arguments). */
const pairs = (h: string): string[] => h.match(/../g) ?? [];

/**
 * A `load` hook for objects with a legacy `maps` section (pre-10 clang, PREVAIL's corpus), which
 * libbpf >= 1.0 refuses: legacyLoad.py does what samples/bpf's bpf_load.c did.
 */
export function legacyLoad(obj: string, progDir: string): void {
  run(['python3', path.join(__dirname, 'legacyLoad.py'), obj, progDir]);
}
