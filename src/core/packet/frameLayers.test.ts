// decodeLayers: the fields a result view marks as changed, with their byte ranges.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { buildFrame } from './frameBuilder';
import { changedBytes, decodeLayers } from './frameLayers';

void test('Ethernet / IPv4 / UDP fields with their offsets', () => {
  const f = buildFrame({ udp: { src: '10.0.0.1', dst: '10.0.0.2', sport: 4000, dport: 9 } });
  const layers = decodeLayers(f);
  assert.deepEqual(
    layers.map((l) => [l.name, l.offset]),
    [
      ['Ethernet', 0],
      ['IPv4', 14],
      ['UDP', 34],
    ],
  );
  const ttl = layers[1]?.fields.find((x) => x.name === 'TTL');
  assert.deepEqual(ttl && { offset: ttl.offset, size: ttl.size }, { offset: 22, size: 1 });
  assert.equal(layers[2]?.fields.find((x) => x.name === 'dest port')?.value, '9');
  assert.equal(layers[1]?.fields.find((x) => x.name === 'destination')?.value, '10.0.0.2');
});

void test('VLAN, IPv6/TCP and ARP decode; truncated and garbage bytes never throw', () => {
  assert.deepEqual(
    decodeLayers(
      buildFrame({ vlan: 7, ipv6: { src: 'fd00::1', dst: 'fd00::2' }, tcp: { dport: 80, flags: 'SA' } }),
    ).map((l) => l.name),
    ['Ethernet', '802.1Q', 'IPv6', 'TCP'],
  );
  assert.deepEqual(
    decodeLayers(buildFrame({ arp: {} })).map((l) => l.name),
    ['Ethernet', 'ARP'],
  );
  assert.deepEqual(decodeLayers(new Uint8Array(5)), []);
  const cut = buildFrame({ udp: {} }).subarray(0, 30);
  assert.deepEqual(
    decodeLayers(cut).map((l) => l.name),
    ['Ethernet'],
  );
  for (let seed = 1; seed < 200; seed++) {
    const junk = Uint8Array.from({ length: seed % 90 }, (_, i) => (seed * 31 + i * 17) & 0xff);
    decodeLayers(junk);
  }
});

void test('changedBytes: a TTL decrement is one byte plus the checksum', () => {
  const a = buildFrame({ udp: {} });
  const b = a.slice();
  b[22] = (b[22] ?? 0) - 1;
  b[25] = (b[25] ?? 0) + 1;
  assert.deepEqual([...changedBytes(a, b)], [22, 25]);
  assert.equal(changedBytes(a, b.subarray(0, 40)).size, 40);
});
