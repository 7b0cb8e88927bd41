#!/usr/bin/env node
// Regenerates src/core/elf/bundledBtfData.ts: a trimmed copy of a kernel's BTF (default: this
// machine's /sys/kernel/btf/vmlinux) holding the types XDP programs relocate against with CO-RE,
// used where no kernel BTF can be read (the browser playground, macOS). Run:
//   node --import tsx scripts/gen-bundled-btf.mjs [/sys/kernel/btf/vmlinux] [KERNEL_RELEASE]
// Roots: every struct/union/enum the UAPI headers of XDP programs declare (linux/bpf.h, if_ether.h,
// ip.h, ipv6.h, tcp.h, udp.h, icmp.h, icmpv6.h, in.h, in6.h, if_arp.h, if_vlan.h, pkt_cls.h) plus the
// kernel structs programs read through BPF_CORE_READ (sk_buff, xdp_buff, xdp_frame, net_device,
// bpf_map, …), with everything they hold by value. A struct/union reached only through a pointer becomes a
// forward declaration (BTF_KIND_FWD), which keeps the file small (CO-RE's field matching accepts
// any pointer, as libbpf's bpf_core_fields_are_compat does).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Btf, BTF_KIND as K, nameFields, typeIdFields } from '../src/core/elf/btf.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = process.argv[2] ?? '/sys/kernel/btf/vmlinux';
const release = process.argv[3] ?? os.release();
const out = path.join(root, 'src/core/elf/bundledBtfData.ts');

const KERNEL_ROOTS = [
  'sk_buff',
  'skb_shared_info',
  'xdp_buff',
  'xdp_frame',
  'xdp_rxq_info',
  'xdp_txq_info',
  'xdp_md',
  'net_device',
  'vlan_hdr',
  'vlan_ethhdr',
  'ethhdr',
  'iphdr',
  'ipv6hdr',
  'tcphdr',
  'udphdr',
  'icmphdr',
  'icmp6hdr',
  'arphdr',
  'in6_addr',
  'gre_base_hdr',
  'sctphdr',
  'ipv6_opt_hdr',
  'frag_hdr',
  'xdp_action',
  'bpf_map_type',
  'bpf_prog_type',
  'bpf_func_id',
  'bpf_attach_type',
  'skb_drop_reason',
  'xdp_rss_hash_type',
  'nf_conn',
  'bpf_ct_opts',
  // A map read through its pointer (`map->max_entries`, BPF_CORE_READ(map, id)): CO-RE relocates
  // against struct bpf_map, and an array map is the struct bpf_array around it (map_btf_id).
  'bpf_map',
  'bpf_array',
];
const UAPI_HEADERS = [
  'linux/bpf.h',
  'linux/if_ether.h',
  'linux/ip.h',
  'linux/ipv6.h',
  'linux/tcp.h',
  'linux/udp.h',
  'linux/icmp.h',
  'linux/icmpv6.h',
  'linux/in.h',
  'linux/in6.h',
  'linux/if_arp.h',
  'linux/if_vlan.h',
  'linux/pkt_cls.h',
];

function uapiNames() {
  const names = new Set();
  const dirs = ['/usr/include', `/usr/include/${os.machine()}-linux-gnu`];
  for (const h of UAPI_HEADERS)
    for (const d of dirs) {
      const f = path.join(d, h);
      if (!fs.existsSync(f)) continue;
      for (const m of fs.readFileSync(f, 'utf8').matchAll(/\b(?:struct|union|enum)\s+([A-Za-z_]\w*)\s*\{/g))
        names.add(m[1]);
    }
  return names;
}

// The records come from core's BTF reader (src/core/elf/btf.ts), which also knows where in a record
// the type ids and names are: this script only chooses the types and renumbers them.
const btf = new Btf(new Uint8Array(fs.readFileSync(src)));
/** Per type: its record (a copy-free Buffer view), kind, vlen, name, and the offsets of its type-id fields. */
const types = [null];
for (let id = 1; id < btf.count; id++) {
  const t = btf.type(id);
  const r = btf.record(id);
  types.push({
    rec: Buffer.from(r.buffer, r.byteOffset, r.byteLength),
    kind: t.kind,
    vlen: t.vlen,
    name: t.name,
    refs: typeIdFields(t.kind, t.vlen),
  });
}

const rootNames = new Set([...KERNEL_ROOTS, ...uapiNames()]);
const composite = (t) => t.kind === K.STRUCT || t.kind === K.UNION;
// Walk from the roots. A type is visited by value or behind a pointer (through typedef/modifier
// chains too); a composite visited only behind a pointer is emitted as a FWD of the same name.
const MODS = [K.TYPEDEF, K.CONST, K.VOLATILE, K.RESTRICT, K.TYPE_TAG];
const byValue = new Set();
const behindPtr = new Set();
const work = [];
const visit = (id, viaPtr) => {
  const t = types[id];
  if (!t) return;
  if (viaPtr && composite(t) && !rootNames.has(t.name)) {
    behindPtr.add(id);
    return;
  }
  const seen = viaPtr ? behindPtr : byValue;
  if (seen.has(id) || (viaPtr && byValue.has(id))) return;
  seen.add(id);
  work.push([id, viaPtr]);
};
types.forEach((t, id) => {
  if (t && rootNames.has(t.name) && [K.STRUCT, K.UNION, K.ENUM, K.ENUM64, K.TYPEDEF].includes(t.kind))
    visit(id, false);
});
while (work.length) {
  const [id, viaPtr] = work.pop();
  const t = types[id];
  const refsPtr = t.kind === K.PTR || (viaPtr && MODS.includes(t.kind));
  for (const p of t.refs) {
    const ref = t.rec.readUInt32LE(p);
    if (ref) visit(ref, refsPtr);
  }
}
const keep = new Set([...byValue, ...behindPtr]);
const fwd = new Set([...behindPtr].filter((id) => composite(types[id]) && !byValue.has(id)));

const ids = [...keep].sort((a, b) => a - b);
const newId = new Map(ids.map((id, i) => [id, i + 1]));
const strings = [''];
const strOff = new Map([['', 0]]);
let strLen = 1;
const intern = (s) => {
  if (strOff.has(s)) return strOff.get(s);
  const off = strLen;
  strOff.set(s, off);
  strings.push(s);
  strLen += Buffer.byteLength(s, 'latin1') + 1;
  return off;
};
const chunks = [];
for (const id of ids) {
  const t = types[id];
  if (fwd.has(id)) {
    const rec = Buffer.alloc(12);
    rec.writeUInt32LE(intern(t.name), 0);
    rec.writeUInt32LE(((K.FWD << 24) | (t.kind === K.UNION ? 0x80000000 : 0)) >>> 0, 4);
    chunks.push(rec);
    continue;
  }
  const rec = Buffer.from(t.rec);
  // The type's name, then its members', enumerators' and parameters' names.
  for (const f of nameFields(t.kind, t.vlen)) rec.writeUInt32LE(intern(btf.str(rec.readUInt32LE(f))), f);
  for (const p of t.refs) {
    const ref = t.rec.readUInt32LE(p);
    const n = ref ? newId.get(ref) : 0;
    if (n === undefined) throw new Error(`type ${id} (${t.name}) refers to dropped type ${ref}`);
    rec.writeUInt32LE(n, p);
  }
  chunks.push(rec);
}
const typeSec = Buffer.concat(chunks);
const strSec = Buffer.concat(strings.map((s) => Buffer.from(`${s}\0`, 'latin1')));
const hdr = Buffer.alloc(24);
hdr.writeUInt16LE(0xeb9f, 0);
hdr.writeUInt8(1, 2);
hdr.writeUInt32LE(24, 4);
hdr.writeUInt32LE(0, 8);
hdr.writeUInt32LE(typeSec.length, 12);
hdr.writeUInt32LE(typeSec.length, 16);
hdr.writeUInt32LE(strSec.length, 20);
const blob = Buffer.concat([hdr, typeSec, strSec]);
const b64 = blob.toString('base64');
const lines = b64.match(/.{1,100}/g) ?? [];
fs.writeFileSync(
  out,
  `// GENERATED by scripts/gen-bundled-btf.mjs from ${src} (Linux ${release}): do not edit.\n` +
    `// ${ids.length} of ${types.length - 1} types (${fwd.size} as forward declarations), ${blob.length} bytes of BTF.\n` +
    `export const BUNDLED_BTF_KERNEL = '${release.replace(/[^\w.+-]/g, '')}';\n` +
    `export const BUNDLED_BTF_BASE64 = [\n` +
    lines.map((l) => `  '${l}',`).join('\n') +
    `\n].join('');\n`,
);
console.log(
  `${out}: ${ids.length} types (${fwd.size} forward), ${blob.length} bytes BTF, ${b64.length} base64`,
);
