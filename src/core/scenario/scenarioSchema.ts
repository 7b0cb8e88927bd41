// The JSON Schema of scenario files (format version 1, ../shared/specs/scenario.md). It is the one
// description of the format: esbuild.mjs writes it to dist/scenario.schema.json (contributed to VS
// Code through package.json `jsonValidation`) and scenarioValidate.ts checks files against it, so
// the editor and the simulator can never disagree on what is valid.

import { deviceName, name, traffic } from './frameSchema';
import type { JsonSchema } from './jsonSchemaCheck';
import { scenarioLimits } from './scenarioLimits';

const mapScalar: JsonSchema = {
  type: ['integer', 'string'],
  description: 'An integer, a hex string (0x…, sized to the map), or a device name standing for its ifindex.',
};

const mapValue: JsonSchema = {
  anyOf: [
    mapScalar,
    {
      type: 'object',
      description: 'bpf_devmap_val: target device and optional egress program',
      additionalProperties: false,
      required: ['ifindex'],
      properties: { ifindex: mapScalar, program: name },
    },
    {
      type: 'object',
      description: 'bpf_cpumap_val: ring size and optional cpumap program',
      additionalProperties: false,
      required: ['qsize'],
      properties: { qsize: { type: 'integer', minimum: 0, maximum: 0xffffffff }, program: name },
    },
    {
      type: 'object',
      description: 'PROG_ARRAY value: a program of `programs` (of any object: tail calls may cross objects)',
      additionalProperties: false,
      required: ['program'],
      properties: { program: name },
    },
    {
      type: 'object',
      description: 'XSKMAP value: an AF_XDP socket of `xsks`',
      additionalProperties: false,
      required: ['xsk'],
      properties: { xsk: name },
    },
  ],
};

/** libxdp's dispatcher (xdp-loader): several programs on one device, run in priority order. */
const dispatcherChain: JsonSchema = {
  type: 'array',
  minItems: 1,
  maxItems: 10,
  description:
    "Several programs on this device the way libxdp's dispatcher runs them (xdp-loader): by priority (ties by function name), each continuing the chain when it returns one of its chainCallActions; at most 10 (MAX_DISPATCHER_ACTIONS).",
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['program'],
    properties: {
      program: name,
      priority: {
        type: 'integer',
        minimum: 0,
        maximum: 0xffffffff,
        description:
          "libxdp's run priority, lower runs first (default: the object's XDP_RUN_CONFIG, else 50).",
      },
      chainCallActions: {
        type: 'array',
        maxItems: 5,
        items: { enum: ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'] },
        description:
          'Returns that continue to the next program (default: the object\'s XDP_RUN_CONFIG, else ["XDP_PASS"]).',
      },
      mode: {
        enum: ['native', 'generic', 'offload'],
        default: 'native',
        description: 'One mode for every entry.',
      },
    },
  },
};

const device: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'kind'],
  properties: {
    name: deviceName,
    kind: {
      enum: ['veth', 'nic', 'loopback', 'bridge', 'vlan', 'bond', 'dummy', 'tun', 'other'],
      description:
        '`veth` (needs `peer`), a physical `nic`, or another kind a host has (loopback, bridge, vlan, bond, dummy, tun, other): generic XDP everywhere, native only where the driver has it.',
    },
    netns: {
      ...name,
      description:
        "The network namespace the device lives in (an imported host). Ifindexes are per namespace; a redirect map's ifindex values resolve in the namespace of the device whose program uses the map.",
    },
    peer: {
      anyOf: [deviceName, { type: 'null' }],
      description:
        'The other end of a veth pair; null when it is outside what the scenario sees (give `peerIfindex`): frames sent there leave the scenario.',
    },
    peerIfindex: {
      type: 'integer',
      minimum: 1,
      maximum: 0x7ffffffe,
      description: 'veth with "peer": null: the peer\'s ifindex (in a namespace the scenario does not see).',
    },
    note: {
      type: 'string',
      maxLength: 1024,
      description: 'Free text (an import says what it could not see).',
    },
    ifindex: {
      type: 'integer',
      minimum: 1,
      maximum: 0x7ffffffe,
      description: 'Default: device order starting at 2 (per namespace). 1 is the loopback.',
    },
    driver: {
      type: 'string',
      minLength: 1,
      maxLength: scenarioLimits.maxNameLength,
      pattern: '^[A-Za-z0-9_.:@-]+$',
      description:
        "Driver: a profile (veth, mlx5, i40e, ice, ixgbe, virtio_net, bnxt, tun, bond, generic-only) says which XDP features the device has; any other driver name gets generic XDP only unless `features` say more. Default veth for veth, mlx5 for nic, the kind's own driver otherwise.",
    },
    up: { type: 'boolean', default: true },
    mtu: { type: 'integer', minimum: 68, maximum: 65536, default: 1500 },
    queues: {
      type: 'integer',
      minimum: 1,
      maximum: scenarioLimits.maxQueues,
      default: 1,
      description: 'rx (and tx) queues.',
    },
    gro: {
      type: 'boolean',
      default: false,
      description: 'veth: GRO enabled (gives the device a NAPI, like an XDP program does).',
    },
    features: {
      type: 'object',
      additionalProperties: false,
      description: 'Explicit xdp_features overriding the driver profile.',
      properties: {
        native: { type: 'boolean', description: 'NETDEV_XDP_ACT_BASIC: native (driver) XDP attach possible' },
        ndoXmit: { type: 'boolean', description: 'NETDEV_XDP_ACT_NDO_XMIT: can be a native redirect target' },
        ndoXmitSg: {
          type: 'boolean',
          description: 'NETDEV_XDP_ACT_NDO_XMIT_SG: accepts multi-buffer redirected frames',
        },
        rxSg: { type: 'boolean', description: 'NETDEV_XDP_ACT_RX_SG: multi-buffer receive' },
        xskZeroCopy: { type: 'boolean', description: 'NETDEV_XDP_ACT_XSK_ZEROCOPY' },
      },
    },
    xdp: {
      anyOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['program'],
          properties: {
            program: name,
            mode: {
              enum: ['native', 'generic', 'offload'],
              default: 'native',
              description: 'offload (run by the NIC) is simulated like native.',
            },
          },
        },
        dispatcherChain,
      ],
    },
  },
};

const xsk: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'device'],
  properties: {
    name,
    device: deviceName,
    queue: { type: 'integer', minimum: 0, maximum: scenarioLimits.maxQueues - 1, default: 0 },
    rxRing: { type: 'integer', minimum: 1, maximum: 1 << 20, default: 2048 },
    fillRing: {
      type: 'integer',
      minimum: 0,
      maximum: 1 << 20,
      description: 'Buffers the application posted to the fill ring (default: rxRing).',
    },
    chunkSize: { type: 'integer', minimum: 2048, maximum: 65536, default: 2048 },
    headroom: { type: 'integer', minimum: 0, maximum: 4096, default: 0 },
    bound: {
      type: 'boolean',
      default: true,
      description: 'false: inserted in the map but never bound (ENXIO).',
    },
    sg: { type: 'boolean', default: false, description: 'Bound with XDP_USE_SG (multi-buffer).' },
    zeroCopy: { type: 'boolean', default: false },
  },
};

export const scenarioJsonSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://xdp-lab.invalid/scenario.schema.json',
  title: 'XDP Lab scenario (version 1)',
  description: 'One XDP setup on one Linux host and the traffic it receives, for the XDP_REDIRECT simulator.',
  type: 'object',
  additionalProperties: false,
  required: ['version'],
  properties: {
    $schema: { type: 'string' },
    version: { const: 1 },
    description: { type: 'string', maxLength: 4096 },
    cpus: { type: 'integer', minimum: 1, maximum: scenarioLimits.maxCpus, default: 1 },
    programs: {
      type: 'array',
      maxItems: scenarioLimits.maxPrograms,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name,
          file: {
            type: 'string',
            minLength: 1,
            maxLength: 4096,
            description:
              'ELF object or C file (compiled with clang -target bpf). Absent for a program imported from a host with no local object: frames reaching it are reported as "unknown program".',
          },
          id: {
            type: 'integer',
            minimum: 0,
            maximum: 0xffffffff,
            description: 'Program id on the host it was imported from.',
          },
          tag: {
            type: 'string',
            pattern: '^[0-9a-f]{16}$',
            description: 'The kernel program tag (bpf_prog_calc_tag) on the host it was imported from.',
          },
          function: { type: 'string', minLength: 1, maxLength: 256 },
          globals: {
            type: 'object',
            maxProperties: 1024,
            description:
              "Global variables set before the program runs, by name: `const volatile` .rodata knobs and .data/.bss values (what a libbpf skeleton sets before load). Integers (or '0x…' hex, XDP action or enumerator names), booleans, strings for char arrays, lists for arrays, '0x…' bytes for structs. Programs of one file share its globals.",
            additionalProperties: {
              type: ['integer', 'string', 'boolean', 'array'],
              maxLength: scenarioLimits.maxHexLength,
              maxItems: 65536,
              items: { type: ['integer', 'string', 'boolean'], maxLength: 64 },
            },
          },
        },
      },
    },
    devices: { type: 'array', maxItems: scenarioLimits.maxDevices, items: device },
    maps: {
      type: 'object',
      maxProperties: scenarioLimits.maxMaps,
      description:
        "Map contents by map name in the object, or `PROGRAM/MAP` (a scenario program's name) where two objects (or two loaded copies of one) have a map of that name.",
      additionalProperties: {
        type: 'array',
        maxItems: scenarioLimits.maxMapEntries,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['key', 'value'],
          properties: { key: mapScalar, value: mapValue },
        },
      },
    },
    xsks: { type: 'array', maxItems: scenarioLimits.maxXsks, items: xsk },
    traffic: { type: 'array', maxItems: scenarioLimits.maxTraffic, items: traffic },
    conntrack: {
      type: 'array',
      maxItems: scenarioLimits.maxConntrack,
      description:
        'Connections in the conntrack table before the first frame (what bpf_xdp_ct_lookup finds; entries a program inserts with bpf_ct_insert_entry join them for later frames). See docs/simulator.md.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['proto', 'src', 'sport', 'dst', 'dport'],
        properties: {
          proto: { enum: ['tcp', 'udp'] },
          src: {
            type: 'string',
            maxLength: 64,
            description: 'Original-direction source address (IPv4 or IPv6).',
          },
          sport: { type: 'integer', minimum: 0, maximum: 65535 },
          dst: { type: 'string', maxLength: 64, description: 'Original-direction destination address.' },
          dport: { type: 'integer', minimum: 0, maximum: 65535 },
          status: {
            type: ['integer', 'array'],
            minimum: 0,
            maximum: 0xffffffff,
            maxItems: 16,
            items: { type: 'string', maxLength: 32 },
            description:
              "ct->status: a number or names of enum ip_conntrack_status ('ASSURED', 'SEEN_REPLY', …); CONFIRMED is always set. Default: SEEN_REPLY and ASSURED (an established connection).",
          },
          mark: { type: 'integer', minimum: 0, maximum: 0xffffffff, description: 'ct->mark.' },
          timeout: {
            type: 'number',
            minimum: 0,
            maximum: 8_000_000,
            description:
              "Seconds until the entry expires (default 432000 for tcp, 120 for udp: the kernel's established timeouts).",
          },
          zone: {
            type: 'integer',
            minimum: 0,
            maximum: 65535,
            description: 'Conntrack zone id (default 0).',
          },
        },
      },
    },
  },
};
