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

  it('writes across its blocks: many frames, one bigger than a block, drained in pieces, equal to one piece', () => {
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 30_000; i++)
      frames.push(Uint8Array.from({ length: 60 + ((i * 7919) % 1400) }, (_, k) => (i + k) & 255));
    // Early, when a block is 4-8 KiB: a frame bigger than the block gets one of its size.
    frames.splice(
      3,
      0,
      Uint8Array.from({ length: 200_003 }, (_, k) => k & 255),
    );
    const whole = new PcapWriter();
    const pieces = new PcapWriter();
    const drained: Uint8Array[] = [];
    frames.forEach((f, i) => {
      whole.add(f);
      pieces.add(f);
      // The CLI drains as it goes (writing each chunk); a drained chunk never changes afterwards.
      if (i % 997 === 0) {
        const pending = pieces.pending;
        const out = pieces.drain();
        assert.equal(
          out.reduce((n, c) => n + c.length, 0),
          pending,
        );
        assert.equal(pieces.pending, 0);
        drained.push(...out.map((c) => c.slice()));
      }
    });
    drained.push(...pieces.drain());
    const joined = new Uint8Array(drained.reduce((n, c) => n + c.length, 0));
    drained.reduce((o, c) => (joined.set(c, o), o + c.length), 0);
    const bytes = whole.bytes();
    assert.deepEqual(joined, bytes);
    assert.equal(whole.frames, frames.length);
    const back = readPcap(bytes, 'many.pcap', { maxFrames: frames.length });
    assert.equal(back.length, frames.length);
    assert.ok(back.every((f, i) => Buffer.compare(f, frames[i] as Uint8Array) === 0));
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
