// The scenario schema's frames and traffic entries, and the field types (names, device names,
// addresses, hex bytes) the rest of scenarioSchema.ts shares.
import type { JsonSchema } from './jsonSchemaCheck';
import { scenarioLimits } from './scenarioLimits';

export const name: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: scenarioLimits.maxNameLength,
  pattern: '^[A-Za-z0-9_.:@-]+$',
};
/** A device: `NAME`, or `NETNS/NAME` where a name repeats across network namespaces (an import). */
export const deviceName: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 2 * scenarioLimits.maxNameLength + 1,
  pattern: '^([A-Za-z0-9_.:@-]+/)?[A-Za-z0-9_.:@-]+$',
};
const hexString: JsonSchema = {
  type: 'string',
  maxLength: scenarioLimits.maxHexLength,
  pattern: '^(0x)?[0-9a-fA-F:\\s]*$',
};
const ipAddress: JsonSchema = {
  type: 'string',
  maxLength: 64,
  description: 'IPv4 (10.0.0.2) or IPv6 (fd00::2) address',
};
const mac: JsonSchema = { type: 'string', pattern: '^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$' };
const port: JsonSchema = { type: 'integer', minimum: 0, maximum: 65535 };
const l4 = (extra: Record<string, JsonSchema>): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  properties: { src: ipAddress, dst: ipAddress, ...extra },
});

const frameSpec: JsonSchema = {
  type: 'object',
  description: 'A structured frame: every field not given is defaulted (Ethernet/IPv4/UDP, 64 bytes).',
  additionalProperties: false,
  properties: {
    eth: {
      type: 'object',
      additionalProperties: false,
      properties: { src: mac, dst: mac, type: { type: ['integer', 'string'] } },
    },
    vlan: { type: 'integer', minimum: 0, maximum: 4095 },
    ipv4: {
      type: 'object',
      additionalProperties: false,
      properties: {
        src: ipAddress,
        dst: ipAddress,
        ttl: { type: 'integer', minimum: 0, maximum: 255 },
        tos: { type: 'integer', minimum: 0, maximum: 255 },
        id: { type: 'integer', minimum: 0, maximum: 65535 },
        proto: { type: 'integer', minimum: 0, maximum: 255 },
      },
    },
    ipv6: {
      type: 'object',
      additionalProperties: false,
      properties: { src: ipAddress, dst: ipAddress, hopLimit: { type: 'integer', minimum: 0, maximum: 255 } },
    },
    udp: l4({ sport: port, dport: port }),
    tcp: l4({
      sport: port,
      dport: port,
      flags: { type: 'string', pattern: '^[FSRPAUfsrpau]*$', maxLength: 6 },
    }),
    icmp: l4({
      type: { type: 'integer', minimum: 0, maximum: 255 },
      code: { type: 'integer', minimum: 0, maximum: 255 },
    }),
    arp: {
      type: 'object',
      additionalProperties: false,
      properties: {
        op: { type: 'integer', minimum: 0, maximum: 65535 },
        sha: mac,
        spa: ipAddress,
        tha: mac,
        tpa: ipAddress,
      },
    },
    length: {
      type: 'integer',
      minimum: 14,
      maximum: 65535,
      description: 'Total frame length including the Ethernet header.',
    },
    payload: hexString,
  },
};

export const traffic: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { ...deviceName, description: 'Transmit from this veth end; frames arrive at its peer.' },
    rx: { ...deviceName, description: 'Receive on this device (any kind but veth).' },
    testRun: {
      ...deviceName,
      description:
        "Run the device's native program on the frames with BPF_PROG_TEST_RUN in live-frames mode (ingress = this device), `batch` frames per batch.",
    },
    batch: {
      type: 'integer',
      minimum: 1,
      maximum: 256,
      description: 'testRun: frames per batch (kernel default 64, max 256).',
    },
    queue: { type: 'integer', minimum: 0, maximum: scenarioLimits.maxQueues - 1, default: 0 },
    cpu: { type: 'integer', minimum: 0, maximum: scenarioLimits.maxCpus - 1, default: 0 },
    count: { type: 'integer', minimum: 0, maximum: scenarioLimits.maxCount, default: 1 },
    burst: {
      type: 'integer',
      minimum: 1,
      maximum: 256,
      description: 'Frames per NAPI poll (default 1 for from, 64 for rx).',
    },
    frame: { anyOf: [frameSpec, hexString] },
    pcap: {
      type: 'string',
      minLength: 1,
      maxLength: 4096,
      description: 'A classic pcap file: every frame is injected.',
    },
  },
};
