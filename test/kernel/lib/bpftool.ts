// bpftool and ip wrappers for loading, attaching and running XDP programs and reading maps,
// following kernel-lab.md: pins in bpffs, nsenter (not `ip netns exec`) for anything that needs
// /sys/fs/bpf or namespace-checked devmap values.
import fs from 'node:fs';
import path from 'node:path';
import { inNetns, run } from './exec';

export interface Pinned {
  /** bpffs path of the pin. */
  pin: string;
  /** Kernel id (prog id as seen in xdp:* tracepoints' prog_id; map id as in map_id). */
  id: number;
}

export interface LoadedObject {
  /** Programs by function name, pinned under `${pinDir}/progs`. */
  progs: Record<string, Pinned>;
  /** Maps by pinned name (libbpf names: `obj_bss` for `obj.bss` — bpffs refuses dots), under `${pinDir}/maps`. */
  maps: Record<string, Pinned>;
}

/** `bpftool prog loadall OBJ DIR/progs [type T] pinmaps DIR/maps`; returns progs and maps with ids. */
export function loadAll(obj: string, pinDir: string, opts: { type?: string } = {}): LoadedObject {
  const progDir = path.join(pinDir, 'progs');
  const mapDir = path.join(pinDir, 'maps');
  run([
    'bpftool',
    'prog',
    'loadall',
    obj,
    progDir,
    ...(opts.type ? ['type', opts.type] : []),
    'pinmaps',
    mapDir,
  ]);
  const progs: Record<string, Pinned> = {};
  for (const name of fs.readdirSync(progDir))
    progs[name] = { pin: path.join(progDir, name), id: progId(path.join(progDir, name)) };
  const maps: Record<string, Pinned> = {};
  if (fs.existsSync(mapDir)) {
    for (const name of fs.readdirSync(mapDir))
      maps[name] = { pin: path.join(mapDir, name), id: mapId(path.join(mapDir, name)) };
  }
  return { progs, maps };
}

/** The program id of a pinned program. */
export function progId(pin: string): number {
  return (JSON.parse(run(['bpftool', '-j', 'prog', 'show', 'pinned', pin]).stdout) as { id: number }).id;
}

/** The map id of a pinned map. */
export function mapId(pin: string): number {
  return (JSON.parse(run(['bpftool', '-j', 'map', 'show', 'pinned', pin]).stdout) as { id: number }).id;
}

export type XdpMode = 'native' | 'generic' | 'offload';

/** Attaches a pinned XDP program to `dev` in netns `ns` (full name; undefined = root) in native
 * (xdpdrv) or generic (xdpgeneric, skb) mode. */
const xdpFlag: Record<XdpMode, string> = { native: 'xdpdrv', generic: 'xdpgeneric', offload: 'xdpoffload' };

export function attachXdp(
  ns: string | undefined,
  dev: string,
  progPin: string,
  mode: XdpMode = 'native',
): void {
  run(inNetns(ns, ['ip', 'link', 'set', 'dev', dev, xdpFlag[mode], 'pinned', progPin]));
}

/** Detaches whatever XDP program `dev` has in that mode (no error when none is attached). */
export function detachXdp(ns: string | undefined, dev: string, mode: XdpMode = 'native'): void {
  run(inNetns(ns, ['ip', 'link', 'set', 'dev', dev, xdpFlag[mode], 'off']));
}

/** A map key or value: raw bytes, or a number written as a little-endian u32. */
export type MapBytes = Uint8Array | number;

function hexArgs(v: MapBytes): string[] {
  const bytes = typeof v === 'number' ? u32le(v) : v;
  return ['hex', ...Array.from(bytes, (b) => b.toString(16).padStart(2, '0'))];
}

/** Little-endian u32 bytes. */
export function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

/** `bpftool map update pinned PIN key … value …`, run inside netns `ns` (full name) when given:
 * devmap values (ifindexes) are checked against the writer's namespace (EINVAL otherwise). */
export function mapUpdate(mapPin: string, key: MapBytes, value: MapBytes, ns?: string): void {
  run(
    inNetns(ns, [
      'bpftool',
      'map',
      'update',
      'pinned',
      mapPin,
      'key',
      ...hexArgs(key),
      'value',
      ...hexArgs(value),
    ]),
  );
}

/** `bpftool -j map dump pinned PIN`, parsed. DEVMAP dumps list empty slots as {error: …}. */
export function mapDump(mapPin: string, ns?: string): unknown[] {
  return JSON.parse(run(inNetns(ns, ['bpftool', '-j', 'map', 'dump', 'pinned', mapPin])).stdout) as unknown[];
}

export interface ProgRunResult {
  /** The program's return value (the XDP action for XDP programs). */
  retval: number;
  /** The kernel's average duration per run in nanoseconds. */
  durationNs: number;
  /** The frame after the program ran (data_out). */
  dataOut: Uint8Array;
}

/** BPF_PROG_TEST_RUN: `bpftool prog run pinned P data_in F data_out O repeat N`. `scratch` is a
 * folder for the data files (e.g. lab.tmp). Frames under 14 bytes are refused by the kernel. */
export function progRun(
  progPin: string,
  data: Uint8Array,
  scratch: string,
  opts: { repeat?: number } = {},
): ProgRunResult {
  const inFile = path.join(scratch, 'prog-run-in.bin');
  const outFile = path.join(scratch, 'prog-run-out.bin');
  fs.writeFileSync(inFile, data);
  fs.rmSync(outFile, { force: true });
  const r = run([
    'bpftool',
    'prog',
    'run',
    'pinned',
    progPin,
    'data_in',
    inFile,
    'data_out',
    outFile,
    'repeat',
    String(opts.repeat ?? 1),
  ]);
  const text = r.stdout + r.stderr;
  const m = /Return value:\s*(-?\d+),\s*duration(?: \(average\))?:\s*(\d+)ns/.exec(text);
  if (!m) throw new Error(`bpftool prog run: unexpected output:\n${text}`);
  return {
    retval: Number(m[1]),
    durationNs: Number(m[2]),
    dataOut: fs.existsSync(outFile) ? new Uint8Array(fs.readFileSync(outFile)) : new Uint8Array(),
  };
}
