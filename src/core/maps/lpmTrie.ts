// BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c): keys are {u32 prefixlen; u8 data[]}; a lookup
// returns the value of the longest stored prefix that matches the key's data (up to its prefixlen).
// Stored as a flat list: firewall tables in tests are small and clarity wins over a real trie.
import type { Region } from '../vm/memory';
import { BPF_EXIST, BPF_NOEXIST, BpfMap, checkUpdateFlags, keyOf, u32At } from './bpfMap';
import type { MapDef, MapEntryDump, MapHost } from './bpfMap';
import { EEXIST, EINVAL, ENOENT, ENOSPC } from './errno';

interface LpmEntry {
  prefixLen: number;
  key: Uint8Array;
  value: Region;
}

export class LpmTrieMap extends BpfMap {
  private readonly entries = new Map<number | string, LpmEntry>();
  private readonly dataLen: number;
  constructor(def: MapDef, host: MapHost) {
    super(def, host);
    this.dataLen = def.keySize - 4;
  }

  /** The key with bits beyond prefixlen cleared, so equal prefixes compare equal. */
  private canonical(key: Uint8Array): { prefixLen: number; key: Uint8Array } | undefined {
    if (key.length < this.def.keySize) return undefined;
    const prefixLen = u32At(key);
    if (prefixLen > this.dataLen * 8) return undefined;
    const out = key.slice(0, this.def.keySize);
    for (let bit = prefixLen; bit < this.dataLen * 8; bit++)
      out[4 + (bit >> 3)] = (out[4 + (bit >> 3)] as number) & ~(0x80 >> (bit & 7));
    return { prefixLen, key: out };
  }

  private matches(entry: LpmEntry, key: Uint8Array, limit: number): boolean {
    if (entry.prefixLen > limit) return false;
    for (let bit = 0; bit < entry.prefixLen; bit++) {
      const m = 0x80 >> (bit & 7);
      if (((key[4 + (bit >> 3)] as number) & m) !== ((entry.key[4 + (bit >> 3)] as number) & m)) return false;
    }
    return true;
  }

  lookup(key: Uint8Array): Region | undefined {
    const limit = Math.min(u32At(key), this.dataLen * 8);
    let best: LpmEntry | undefined;
    for (const e of this.entries.values())
      if ((!best || e.prefixLen > best.prefixLen) && this.matches(e, key, limit)) best = e;
    return best?.value;
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number): number {
    const bad = checkUpdateFlags(flags);
    if (bad) return bad;
    const c = this.canonical(key);
    if (!c) return -EINVAL;
    const k = keyOf(c.key);
    const old = this.entries.get(k);
    if (old && (flags & 3) === BPF_NOEXIST) return -EEXIST;
    if (!old && (flags & 3) === BPF_EXIST) return -ENOENT;
    if (old) {
      old.value.u8.set(value.subarray(0, this.def.valueSize));
      return 0;
    }
    if (this.entries.size >= this.def.maxEntries) return -ENOSPC; // lpm_trie.c: a full trie refuses new prefixes with ENOSPC
    const r = this.host.allocRegion(
      'mapValue',
      value.slice(0, this.def.valueSize),
      true,
      `map '${this.name}' value`,
      this,
    );
    this.entries.set(k, { prefixLen: c.prefixLen, key: c.key, value: r });
    return 0;
  }

  override delete(key: Uint8Array): number {
    const c = this.canonical(key);
    if (!c) return -EINVAL;
    const k = keyOf(c.key);
    const e = this.entries.get(k);
    if (!e) return -ENOENT;
    this.entries.delete(k);
    this.host.freeRegion(e.value);
    return 0;
  }

  userLookup(key: Uint8Array): Uint8Array | number {
    const c = this.canonical(key);
    if (!c) return -EINVAL;
    const r = this.lookup(c.key);
    return r ? r.u8.slice() : -ENOENT;
  }

  userUpdate(key: Uint8Array, value: unknown, flags: number): number {
    if (!(value instanceof Uint8Array)) return -EINVAL;
    return this.update(key, value, flags);
  }

  userDelete(key: Uint8Array): number {
    return this.delete(key);
  }

  dump(): MapEntryDump[] {
    return [...this.entries.values()].map((e) => ({ key: e.key.slice(), value: e.value.u8.slice() }));
  }
}
