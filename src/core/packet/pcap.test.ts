// pcap read/write and the structured frame builder.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildFrame, parseIpv6 } from './frameBuilder';
import { describeFrame } from './frameDecoder';
import { PcapError, PcapWriter, readPcap } from './pcap';

describe('pcap', () => {
  it('round-trips frames through the writer and the reader', () => {
    const w = new PcapWriter();
    const frames = [buildFrame({}), buildFrame({ udp: { dport: 53 }, length: 200 })];
    for (const f of frames) w.add(f);
    assert.deepEqual(readPcap(w.bytes(), 'x.pcap', { maxFrames: 10 }), frames);
  });

  it('refuses pcapng, truncation, absurd lengths and too many frames with the file named', () => {
    assert.throws(
      () =>
        readPcap(new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a, ...new Array<number>(30).fill(0)]), 'a.pcapng', {
          maxFrames: 1,
        }),
      /a.pcapng: pcapng/,
    );
    const w = new PcapWriter();
    w.add(buildFrame({}));
    const b = w.bytes();
    assert.throws(
      () => readPcap(b.slice(0, b.length - 3), 'cut.pcap', { maxFrames: 9 }),
      (e: unknown) => e instanceof PcapError && /truncated/.test(e.message),
    );
    const huge = b.slice();
    new DataView(huge.buffer).setUint32(24 + 8, 0x7fffffff, true);
    assert.throws(() => readPcap(huge, 'h.pcap', { maxFrames: 9 }), /claims/);
    assert.throws(() => readPcap(b, 'm.pcap', { maxFrames: 0 }), /m.pcap: more than 0 frames/);
  });
});

describe('frame builder (scenario.md: Ethernet/IPv4/UDP, 64 bytes by default)', () => {
  it('defaults and decodes back', () => {
    const f = buildFrame({ udp: { dst: '10.0.0.2', dport: 9 } });
    assert.equal(f.length, 64);
    const d = describeFrame(f);
    assert.equal(d.proto, 'UDP');
    assert.equal(d.dst, '10.0.0.2');
    assert.equal(d.dport, 9);
  });

  it('IPv4 header checksum verifies to zero', () => {
    const f = buildFrame({ tcp: { dst: '192.168.1.1', dport: 443 } });
    let sum = 0;
    for (let i = 14; i < 34; i += 2) sum += (f[i]! << 8) | f[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    assert.equal(sum, 0xffff);
  });

  it('VLAN, IPv6 and ARP frames', () => {
    assert.match(describeFrame(buildFrame({ vlan: 10, udp: {} })).text, /^VLAN 10 IPv4/);
    assert.equal(describeFrame(buildFrame({ udp: { dst: 'fd00::2' } })).etherType, 0x86dd);
    assert.deepEqual([...parseIpv6('::1', 'x')].slice(14), [0, 1]);
    assert.match(describeFrame(buildFrame({ arp: {} })).text, /^ARP/);
  });
});
