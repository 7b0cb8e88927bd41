// `xdp-lab import` (cli.md): a host's snapshot (hostSnapshot.ts) becomes a scenario (scenario.md,
// "Scenarios of a real host") — every device of every namespace with kind, driver, MTU, state and
// veth peers across namespaces (rtnetlink's IFLA_LINK + IFLA_LINK_NETNSID, as `ip -d` prints them),
// the XDP program attached to each (IFLA_XDP), programs matched to local objects by their kernel
// tag (bpf_prog_calc_tag), and the contents of their maps with ifindexes turned into device names.
import type { ProgTags } from '../bpf/progTag';
import { jsonList, type HostSnapshot } from './hostSnapshot';
import { scenarioLimits } from './scenarioLimits';

/** A program of a local object, with its tags (progTags over the linked instructions). */
export interface LocalProgram {
  /** The object's path as the scenario should name it (relative to where the scenario is written). */
  file: string;
  function: string;
  tags: ProgTags;
  /** The object's map names (kernel names are these cut to 15 characters, BPF_OBJ_NAME_LEN). */
  maps: readonly string[];
}

export interface HostImport {
  /** The scenario as JSON-ready data (no traffic yet). */
  scenario: Record<string, unknown>;
  /** What the import could not carry over, one line each (also in the scenario's description). */
  notes: string[];
  /** Programs attached on the host and whether a local object matched. */
  programs: Array<{ name: string; id: number; tag: string; file?: string }>;
}

interface Link {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu?: number;
  link_type?: string;
  link_index?: number;
  /** The peer's name when it is in the same namespace (`ip -j` prints it instead of link_index). */
  link?: string;
  link_netnsid?: number;
  num_rx_queues?: number;
  linkinfo?: { info_kind?: string };
  xdp?: { mode?: number; prog?: AttachedProg; attached?: Array<{ mode?: number; prog?: AttachedProg }> };
}
interface AttachedProg {
  id: number;
  name?: string;
  tag?: string;
}
interface Dev {
  ns: string;
  link: Link;
  name: string;
}

/** IFLA_XDP_ATTACHED: XDP_ATTACHED_DRV 1, SKB 2, HW 3 (MULTI 4 lists them in `attached`). */
const xdpModes: Record<number, 'native' | 'generic' | 'offload'> = {
  1: 'native',
  2: 'generic',
  3: 'offload',
};
/** Device kinds the scenario knows, by rtnetlink's IFLA_INFO_KIND. */
const kinds: Record<string, string> = {
  veth: 'veth',
  bridge: 'bridge',
  vlan: 'vlan',
  bond: 'bond',
  dummy: 'dummy',
  tun: 'tun',
};
/** sysfs driver names → the simulator's driver profiles (driverProfiles.ts). */
const driverAliases: Record<string, string> = { mlx5_core: 'mlx5', bnxt_en: 'bnxt' };
/** BPF map types by bpftool's name (the ones whose values the simulator reads specially). */
const DEVMAPS = new Set(['devmap', 'devmap_hash']);

const nameOk = (s: string): boolean => /^[A-Za-z0-9_.:@-]{1,64}$/.test(s);
const safe = (s: string): string =>
  nameOk(s) ? s : s.replace(/[^A-Za-z0-9_.:@-]/g, '_').slice(0, 64) || '_';

/** Bytes of a bpftool JSON dump (["0x0a", …]) or undefined. */
function bytesOf(v: unknown): number[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out = v.map((x) => (typeof x === 'string' ? Number.parseInt(x, 16) : Number.NaN));
  return out.every((b) => Number.isInteger(b) && b >= 0 && b < 256) ? out : undefined;
}
const le32 = (b: number[], at = 0): number =>
  ((b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24)) >>> 0;
const hex = (b: number[]): string => '0x' + b.map((x) => x.toString(16).padStart(2, '0')).join('');

/** Builds the scenario of a host. `host` names it in the description and the notes. */
export function importHost(snap: HostSnapshot, local: readonly LocalProgram[], host: string): HostImport {
  const notes: string[] = [];
  // Namespaces: the login's ('' unless it is a named one), then every other named one, once.
  const loginLabel = snap.loginNetns || 'host';
  const spaces: Array<{ key: string; label: string }> = [{ key: '', label: loginLabel }];
  for (const ns of snap.netns) if (ns !== snap.loginNetns) spaces.push({ key: ns, label: ns });
  const devs: Dev[] = [];
  for (const { key, label } of spaces) {
    const text = snap.links.get(key) ?? '';
    for (const raw of jsonList(text)) {
      const l = raw as Link;
      if (typeof l.ifindex !== 'number' || typeof l.ifname !== 'string') continue;
      devs.push({ ns: label, link: l, name: l.ifname });
    }
  }
  const seen = new Map<string, number>();
  for (const d of devs) seen.set(d.link.ifname, (seen.get(d.link.ifname) ?? 0) + 1);
  const multi = spaces.length > 1;
  for (const d of devs)
    d.name =
      (seen.get(d.link.ifname) ?? 0) > 1 ? `${safe(d.ns)}/${safe(d.link.ifname)}` : safe(d.link.ifname);
  if (devs.length > scenarioLimits.maxDevices) {
    notes.push(`the host has ${devs.length} devices; the first ${scenarioLimits.maxDevices} are imported`);
    devs.length = scenarioLimits.maxDevices;
  }
  const find = (ns: string, ifindex: number): Dev | undefined =>
    devs.find((d) => d.ns === ns && d.link.ifindex === ifindex);
  // nsid → namespace name, as each namespace numbers the others (`ip -n NS netns list-id`).
  const nsidName = (ns: string, nsid: number): string | undefined => {
    const key = ns === loginLabel ? '' : ns;
    for (const e of jsonList(snap.nsids.get(key) ?? '')) {
      const o = e as { nsid?: number; name?: string };
      if (o.nsid === nsid && o.name) return o.name === snap.loginNetns ? loginLabel : o.name;
    }
    return undefined;
  };

  // Programs attached, by id: the full name and map ids from bpftool, the local match by tag.
  const progInfo = new Map<number, { name: string; tag: string; mapIds: number[] }>();
  for (const [id, text] of snap.progs) {
    const p = jsonList(text)[0] as { name?: string; tag?: string; map_ids?: number[] } | undefined;
    if (p) progInfo.set(id, { name: p.name ?? `prog${id}`, tag: p.tag ?? '', mapIds: p.map_ids ?? [] });
  }
  const scenarioPrograms: Array<Record<string, unknown>> = [];
  const progByIdName = new Map<number, string>();
  const matchOf = new Map<number, LocalProgram>();
  const usedNames = new Set<string>();
  /** The scenario's name of an attached program (added on first sight); undefined past the limit. */
  const programFor = (a: AttachedProg): string | undefined => {
    const known = progByIdName.get(a.id);
    if (known) return known;
    if (scenarioPrograms.length >= scenarioLimits.maxPrograms) return undefined;
    const info = progInfo.get(a.id);
    const tag = info?.tag ?? a.tag ?? '';
    const fn = info?.name ?? a.name ?? `prog${a.id}`;
    let name = safe(fn);
    if (usedNames.has(name)) name = safe(`${fn}-${a.id}`);
    usedNames.add(name);
    progByIdName.set(a.id, name);
    const match = local.find((l) => l.tags.sha256 === tag || l.tags.sha1 === tag);
    if (match) {
      matchOf.set(a.id, match);
      scenarioPrograms.push({ name, file: match.file, function: match.function });
    } else {
      scenarioPrograms.push({ name, id: a.id, ...(/^[0-9a-f]{16}$/.test(tag) ? { tag } : {}) });
      notes.push(
        `program ${fn} (id ${a.id}, tag ${tag || '?'}) matches no local object: frames reaching it are reported as unknown; pass its object with --objects`,
      );
    }
    if (fn === 'xdp_dispatcher')
      notes.push(
        `program ${fn} (id ${a.id}) is libxdp's dispatcher: its component programs are not imported (a scenario xdp list is another change)`,
      );
    return name;
  };

  const devices = devs.map((d) => {
    const l = d.link;
    const infoKind = l.linkinfo?.info_kind;
    const kind =
      l.link_type === 'loopback'
        ? 'loopback'
        : infoKind
          ? (kinds[infoKind] ?? 'other')
          : l.link_type === 'ether'
            ? 'nic'
            : 'other';
    const out: Record<string, unknown> = { name: d.name };
    if (multi || snap.loginNetns) out.netns = safe(d.ns);
    out.kind = kind;
    out.ifindex = l.ifindex;
    const sysDriver = snap.drivers.get(d.ns === loginLabel ? '' : d.ns)?.get(l.ifname);
    if (kind === 'nic') out.driver = safe(driverAliases[sysDriver ?? ''] ?? sysDriver ?? 'generic-only');
    else if (kind === 'other') out.driver = safe(infoKind ?? 'generic-only');
    if (kind === 'veth') {
      const peerNs = l.link_netnsid !== undefined ? nsidName(d.ns, l.link_netnsid) : d.ns;
      let peer = peerNs !== undefined && l.link_index !== undefined ? find(peerNs, l.link_index) : undefined;
      if (typeof l.link === 'string' && l.link_netnsid === undefined)
        peer ??= devs.find((e) => e.ns === d.ns && e.link.ifname === l.link);
      // A peer in an unnamed login namespace has no nsid name: find the veth there that points back.
      peer ??= devs.find(
        (e) =>
          e.ns === loginLabel &&
          e.link.ifindex === l.link_index &&
          e.link.link_index === l.ifindex &&
          e.link.link_netnsid !== undefined &&
          nsidName(e.ns, e.link.link_netnsid) === d.ns,
      );
      if (peer) out.peer = peer.name;
      else {
        out.peer = null;
        if (l.link_index !== undefined) out.peerIfindex = l.link_index;
        out.note = `peer ifindex ${l.link_index ?? '?'} is in a namespace this login cannot see${l.link_netnsid !== undefined ? ` (nsid ${l.link_netnsid})` : ''}`;
      }
    }
    out.up = (l.flags ?? []).includes('UP');
    if (typeof l.mtu === 'number') out.mtu = Math.max(68, Math.min(65536, l.mtu));
    if (kind === 'nic' && typeof l.num_rx_queues === 'number' && l.num_rx_queues > 1)
      out.queues = Math.min(scenarioLimits.maxQueues, l.num_rx_queues);
    const attached = l.xdp?.attached ?? (l.xdp?.prog ? [{ mode: l.xdp.mode, prog: l.xdp.prog }] : []);
    const withProg = attached.filter((a) => a.prog && xdpModes[a.mode ?? 0]);
    const first = withProg.find((a) => a.mode === 1) ?? withProg[0];
    const program = first?.prog ? programFor(first.prog) : undefined;
    if (first?.prog && !program)
      notes.push(
        `${d.name}: program id ${first.prog.id} not imported (a scenario holds ${scenarioLimits.maxPrograms} programs)`,
      );
    if (first?.prog && program) {
      out.xdp = { program, mode: xdpModes[first.mode ?? 1] };
      for (const other of withProg)
        if (other !== first && other.prog)
          notes.push(
            `${d.name} also has ${xdpModes[other.mode ?? 0]} program id ${other.prog.id}; a scenario device runs one (${xdpModes[first.mode ?? 1]} imported)`,
          );
    }
    return out;
  });

  // Maps of the matched programs: contents by the local map's name (PROGRAM/MAP when it repeats).
  const maps: Record<string, unknown[]> = {};
  const mapUsers = new Map<number, Array<{ prog: string; ns: string; local: LocalProgram }>>();
  for (const d of devices) {
    const x = d.xdp as { program: string } | undefined;
    if (!x) continue;
    const id = [...progByIdName].find(([, n]) => n === x.program)?.[0];
    const match = id !== undefined ? matchOf.get(id) : undefined;
    if (id === undefined || !match) continue;
    const dev = devs.find((e) => e.name === d.name) as Dev;
    for (const m of progInfo.get(id)?.mapIds ?? []) {
      const list = mapUsers.get(m) ?? [];
      if (!list.some((u) => u.prog === x.program)) list.push({ prog: x.program, ns: dev.ns, local: match });
      mapUsers.set(m, list);
    }
  }
  const nameCount = new Map<string, number>();
  const mapRows: Array<{
    id: number;
    name: string;
    type: string;
    users: NonNullable<ReturnType<typeof mapUsers.get>>;
  }> = [];
  for (const [id, users] of mapUsers) {
    const info = jsonList(snap.maps.get(id) ?? '')[0] as { name?: string; type?: string } | undefined;
    const kname = info?.name ?? '';
    const user = users[0];
    if (!user || !kname || kname.includes('.')) continue; // .rodata/.data/.bss: the object's globals
    const full =
      user.local.maps.find((n) => n === kname || (kname.length >= 15 && n.startsWith(kname))) ?? kname;
    mapRows.push({ id, name: full, type: info?.type ?? '', users });
    nameCount.set(full, (nameCount.get(full) ?? 0) + 1);
  }
  for (const row of mapRows) {
    const user = row.users[0] as { prog: string; ns: string };
    const key = (nameCount.get(row.name) ?? 0) > 1 ? `${user.prog}/${row.name}` : row.name;
    if (
      row.type.startsWith('percpu') ||
      row.type === 'xskmap' ||
      row.type === 'ringbuf' ||
      row.type === 'perf_event_array'
    ) {
      notes.push(
        `map ${row.name} (${row.type}, id ${row.id}): contents not imported (per-CPU, sockets or event buffers)`,
      );
      continue;
    }
    const entries: unknown[] = [];
    const dump = jsonList(snap.dumps.get(row.id) ?? '');
    for (const e of dump) {
      const o = e as { key?: unknown; value?: unknown };
      const k = bytesOf(o.key);
      const v = bytesOf(o.value);
      if (!k || !v) continue; // {"error": …}: an empty slot of an array-like map
      if (entries.length >= scenarioLimits.maxMapEntries) {
        notes.push(`map ${row.name}: only the first ${scenarioLimits.maxMapEntries} entries are imported`);
        break;
      }
      const keyOut: number | string = k.length <= 4 ? le32(k) : hex(k);
      if (DEVMAPS.has(row.type)) {
        const ifindex = le32(v);
        const target = devs.find((x) => x.ns === user.ns && x.link.ifindex === ifindex);
        const progId = v.length >= 8 ? le32(v, 4) : 0;
        const egress = progId ? progByIdName.get(progId) : undefined;
        if (progId && !egress)
          notes.push(`map ${row.name}[${String(keyOut)}]: egress program id ${progId} is not imported`);
        const dev = target ? target.name : ifindex;
        if (!target)
          notes.push(
            `map ${row.name}[${String(keyOut)}]: ifindex ${ifindex} is no device of netns ${user.ns}`,
          );
        entries.push({ key: keyOut, value: egress ? { ifindex: dev, program: egress } : dev });
      } else if (row.type === 'cpumap') {
        entries.push({ key: keyOut, value: { qsize: le32(v) } });
      } else if (row.type === 'prog_array') {
        const target = progByIdName.get(le32(v));
        if (target) entries.push({ key: keyOut, value: { program: target } });
        else
          notes.push(`map ${row.name}[${String(keyOut)}]: tail-call program id ${le32(v)} is not imported`);
      } else {
        if (row.type === 'array' && v.every((b) => b === 0)) continue; // arrays start zeroed
        entries.push({ key: keyOut, value: v.length <= 4 ? le32(v) : hex(v) });
      }
    }
    if (!entries.length) continue;
    if (Object.keys(maps).length >= scenarioLimits.maxMaps) {
      notes.push(
        `map ${row.name}: a scenario holds ${scenarioLimits.maxMaps} maps; the rest are not imported`,
      );
      continue;
    }
    maps[key] = entries;
  }

  const description = [
    `Imported from ${host} (Linux ${snap.kernel || '?'}) by xdp-lab import: add traffic to simulate it.`,
    ...notes,
  ]
    .join('\n')
    .slice(0, 4096);
  const scenario: Record<string, unknown> = {
    version: 1,
    description,
    cpus: snap.cpus,
    programs: scenarioPrograms,
    devices,
    ...(Object.keys(maps).length ? { maps } : {}),
    traffic: [],
  };
  const programs = [...progByIdName].map(([id, name]) => {
    const m = matchOf.get(id);
    return { name, id, tag: progInfo.get(id)?.tag ?? '', ...(m ? { file: m.file } : {}) };
  });
  return { scenario, notes, programs };
}
