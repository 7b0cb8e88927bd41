// Traffic edits from the panel ("change count, burst and frame fields, re-run") applied to the raw
// scenario JSON before it is parsed, so the scenario parser validates the result exactly as it
// validates the file. Pure; the file on disk is never changed.
import type { TrafficEdit } from './visualizer';

const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** Returns a copy of `raw` with the edits applied; throws an Error naming the edit that does not fit. */
export function applyTrafficEdits(raw: unknown, edits: readonly TrafficEdit[]): unknown {
  if (typeof raw !== 'object' || raw === null) throw new Error('the scenario is not a JSON object');
  // `raw` is parsed JSON, so a JSON round trip is an exact deep copy (and needs no host global).
  const copy = JSON.parse(JSON.stringify(raw)) as { traffic?: unknown };
  const traffic = copy.traffic;
  if (!Array.isArray(traffic)) throw new Error('the scenario has no traffic array');
  for (const e of edits) {
    const t = traffic[e.index] as Record<string, unknown> | undefined;
    if (typeof t !== 'object' || t === null) throw new Error(`traffic[${e.index}] does not exist`);
    if (e.count !== undefined) t.count = e.count;
    if (e.burst !== undefined) t.burst = e.burst;
    if (e.dst !== undefined || e.dport !== undefined) {
      const frame = t.frame as Record<string, unknown> | undefined;
      const udp =
        typeof frame === 'object' && frame !== null
          ? (frame.udp as Record<string, unknown> | undefined)
          : undefined;
      if (typeof udp !== 'object' || udp === null)
        throw new Error(
          `traffic[${e.index}] is not a structured UDP frame; only count and burst can be edited`,
        );
      if (e.dst !== undefined) {
        if (!ipv4.test(e.dst))
          throw new Error(
            `traffic[${e.index}].frame.udp.dst: ${JSON.stringify(e.dst)} is not an IPv4 address`,
          );
        udp.dst = e.dst;
      }
      if (e.dport !== undefined) udp.dport = e.dport;
    }
  }
  return copy;
}
