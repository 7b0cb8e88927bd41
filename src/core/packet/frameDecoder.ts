// A one-line description of a frame (Ethernet, VLAN, ARP, IPv4/IPv6, UDP/TCP/ICMP) for timelines and
// tables: `IPv4 10.0.0.1 → 10.0.0.2 UDP 12345 → 9, 64 bytes`. Never throws on malformed bytes.

export interface FrameSummary {
  length: number;
  text: string;
  etherType?: number;
  proto?: 'UDP' | 'TCP' | 'ICMP' | 'ICMPv6';
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
}

function u16(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}

function ipv4Text(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

function ipv6Text(b: Uint8Array, o: number): string {
  const words: string[] = [];
  for (let i = 0; i < 8; i++) words.push(u16(b, o + 2 * i).toString(16));
  return words.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

export function describeFrame(b: Uint8Array): FrameSummary {
  const length = b.length;
  if (length < 14) return { length, text: `runt frame, ${length} bytes` };
  let o = 12;
  let type = u16(b, o);
  let vlan = '';
  if (type === 0x8100 && length >= 18) {
    vlan = `VLAN ${u16(b, 14) & 0xfff} `;
    o += 4;
    type = u16(b, o);
  }
  o += 2;
  const out: FrameSummary = { length, text: '', etherType: type };
  let l4 = -1;
  let proto = 0;
  if (type === 0x0800 && length >= o + 20) {
    out.src = ipv4Text(b, o + 12);
    out.dst = ipv4Text(b, o + 16);
    proto = b[o + 9] ?? 0;
    l4 = o + ((b[o] ?? 0x45) & 0xf) * 4;
  } else if (type === 0x86dd && length >= o + 40) {
    out.src = ipv6Text(b, o + 8);
    out.dst = ipv6Text(b, o + 24);
    proto = b[o + 6] ?? 0;
    l4 = o + 40;
  } else if (type === 0x0806) {
    out.text = `${vlan}ARP, ${length} bytes`;
    return out;
  } else {
    out.text = `${vlan}ethertype 0x${type.toString(16).padStart(4, '0')}, ${length} bytes`;
    return out;
  }
  const family = type === 0x0800 ? 'IPv4' : 'IPv6';
  let l4Text = `proto ${proto}`;
  if ((proto === 17 || proto === 6) && length >= l4 + 4) {
    out.proto = proto === 17 ? 'UDP' : 'TCP';
    out.sport = u16(b, l4);
    out.dport = u16(b, l4 + 2);
    l4Text = `${out.proto} ${out.sport} → ${out.dport}`;
  } else if (proto === 1 || proto === 58) {
    out.proto = proto === 1 ? 'ICMP' : 'ICMPv6';
    l4Text = out.proto;
  }
  out.text = `${vlan}${family} ${out.src} → ${out.dst} ${l4Text}, ${length} bytes`;
  return out;
}
