// The bounds a scenario file must keep (each is named in its error): the schema's maxima and the
// loader's checks both read them, so a hostile file is refused before it costs memory or time.

/** Limits that keep hostile files from exhausting memory or time (each is named in its error). */
export const scenarioLimits = {
  maxDevices: 4096,
  maxPrograms: 256,
  maxMaps: 256,
  maxMapEntries: 65536,
  maxXsks: 1024,
  maxTraffic: 4096,
  maxConntrack: 65536,
  /** Frames one traffic entry may inject, and all entries together. */
  maxCount: 10_000_000,
  maxTotalFrames: 10_000_000,
  maxCpus: 256,
  maxQueues: 256,
  maxNameLength: 64,
  maxHexLength: 2 * 65535,
  maxPcapFrames: 1_000_000,
} as const;
