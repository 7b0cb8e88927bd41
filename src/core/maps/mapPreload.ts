// Map contents as the CLI and the extension exchange them (cli.md `run --maps` and the `maps` of
// its JSON output): keys and values are integers (little-endian, sized to the map's key/value size)
// or hex strings of the exact byte length; output is lower-case hex.
import type { BpfMap } from './bpfMap';
import { userWriteRefusal } from './bpfMap';
import { errnoName } from '../trace/errnos';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of bytes (a table lookup per byte: map dumps hex every value of every map). */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i] as number] as string;
  return s;
}

/** Parses hex (whitespace and a 0x prefix allowed); undefined when it is not hex. */
export function fromHex(text: string): Uint8Array | undefined {
  const t = text.replace(/\s+/g, '').replace(/^0x/i, '');
  if (t.length % 2 || !/^[0-9a-fA-F]*$/.test(t)) return undefined;
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export class MapPreloadError extends Error {}

/** An integer or hex string as `size` bytes (integers little-endian). */
export function bytesOf(v: unknown, size: number, what: string): Uint8Array {
  if (typeof v === 'number' || typeof v === 'bigint') {
    let n = BigInt(v);
    if (typeof v === 'number' && !Number.isSafeInteger(v))
      throw new MapPreloadError(`${what}: ${v} is not an integer`);
    if (n < 0n) n = BigInt.asUintN(size * 8, n);
    if (size < 8 && n >= 1n << BigInt(size * 8))
      throw new MapPreloadError(`${what}: ${v} does not fit in ${size} bytes`);
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      out[i] = Number(n & 0xffn);
      n >>= 8n;
    }
    return out;
  }
  if (typeof v === 'string') {
    const b = fromHex(v);
    if (!b) throw new MapPreloadError(`${what}: '${v}' is neither an integer nor a hex string`);
    if (b.length !== size)
      throw new MapPreloadError(`${what}: hex '${v}' is ${b.length} bytes, the map needs ${size}`);
    return b;
  }
  throw new MapPreloadError(`${what}: expected an integer or a hex string`);
}

/** Applies `{"MAP": [{"key": K, "value": V}, …]}` through the user-space update path. */
export function preloadMaps(json: unknown, maps: readonly BpfMap[]): void {
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new MapPreloadError('expected an object {"MAPNAME": [{"key": K, "value": V}, …]}');
  for (const [name, entries] of Object.entries(json as Record<string, unknown>)) {
    const map = maps.find((m) => m.name === name);
    if (!map)
      throw new MapPreloadError(
        `no map named '${name}' (maps: ${maps.map((m) => m.name).join(', ') || 'none'})`,
      );
    if (!Array.isArray(entries))
      throw new MapPreloadError(`map '${name}': expected a list of {"key", "value"}`);
    entries.forEach((e: unknown, i) => {
      const where = `map '${name}' entry ${i}`;
      if (!e || typeof e !== 'object') throw new MapPreloadError(`${where}: expected {"key": K, "value": V}`);
      const { key, value } = e as { key?: unknown; value?: unknown };
      const k = bytesOf(key ?? 0, map.def.keySize, `${where} key`);
      const v = bytesOf(value, map.def.valueSize, `${where} value`);
      const rc = userWriteRefusal(map) || map.userUpdate(k, v, 0);
      if (rc < 0)
        throw new MapPreloadError(
          `${where}: the update fails with ${errnoName(-rc)} (as the kernel's would)`,
        );
    });
  }
}

export interface DumpedEntry {
  key: string;
  value: string;
  values?: string[];
}

/** Every non-empty entry of every map (array maps: all entries), hex-encoded. */
export function dumpMaps(maps: readonly BpfMap[]): Record<string, DumpedEntry[]> {
  const out: Record<string, DumpedEntry[]> = {};
  for (const m of maps) {
    out[m.name] = m.dump().map((e) => ({
      key: toHex(e.key),
      value: toHex(e.value),
      ...(e.values ? { values: e.values.map(toHex) } : {}),
    }));
  }
  return out;
}
