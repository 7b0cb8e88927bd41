// `xdp-lab trace --hosts a,b,c` (issue 15 item 3): the same capture on a fleet at once. Sessions run in
// parallel; a host that fails (unreachable, refused key, cannot trace) is reported and the others go
// on; the result is the merged counts plus a column per host.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fleetMerged, fleetRows } from '../../core/trace/fleetSummary';
import type { XdpSummary } from '../../core/trace/summary';
import { sshConfigHosts } from '../../node/ssh/sshTarget';
import { type ParsedArgs, stringOption } from '../args';
import { CliError, usageError } from '../cliError';
import type { CliIo } from '../command';
import { captureHost, hostJson, type HostCapture, type TraceSettings } from './trace';

type HostOutcome = { host: string; capture: HostCapture } | { host: string; error: string };

/** `*` and `?` as in ssh_config(5) patterns, whole-name match. */
function patternToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** The hosts of `--hosts` values: comma lists, patterns expanded against the ssh config's Hosts. */
export async function expandHosts(
  values: readonly string[],
  configFile: string | undefined,
): Promise<string[]> {
  const items = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  let configHosts: string[] | undefined;
  const out: string[] = [];
  for (const item of items) {
    if (!/[*?]/.test(item)) {
      if (!out.includes(item)) out.push(item);
      continue;
    }
    configHosts ??= sshConfigHosts(
      await readFile(configFile ?? path.join(os.homedir(), '.ssh', 'config'), 'utf8').catch(() => ''),
    );
    const re = patternToRegExp(item);
    const matched = configHosts.filter((h) => re.test(h));
    if (!matched.length)
      throw usageError(item, `no Host of ${configFile ?? '~/.ssh/config'} matches this pattern`);
    for (const h of matched) if (!out.includes(h)) out.push(h);
  }
  if (!out.length) throw usageError('trace', '--hosts names no host');
  return out;
}

/** A file name for a host's capture (user@host:port → user@host_port). */
const fileNameOf = (host: string): string => `${host.replace(/[^\w@.-]+/g, '_')}.xdpcapture.json`;

function humanFleet(outcomes: readonly HostOutcome[], merged: XdpSummary): string {
  const ok = outcomes.filter((o): o is Extract<HostOutcome, { capture: HostCapture }> => 'capture' in o);
  const cols = ['all', ...ok.map((o) => o.host)];
  const w = Math.max(6, ...cols.map((c) => c.length));
  const rows: Array<[string, number[]]> = fleetRows(
    merged,
    ok.map((o) => o.capture.result.summary),
  ).map((r) => [r.name, [r.merged, ...r.perHost.map((n) => n ?? 0)]]);
  const label = Math.max(32, ...rows.map(([n]) => n.length));
  const out = ['hosts:'];
  for (const o of outcomes)
    out.push(
      'capture' in o
        ? `  ${o.host}: kernel ${o.capture.file.kernel}, ${o.capture.result.status}${o.capture.result.message ? ` (${o.capture.result.message})` : ''}`
        : `  ${o.host}: FAILED — ${o.error}`,
    );
  out.push('', `${''.padEnd(label)} ${cols.map((c) => c.padStart(w)).join(' ')}`);
  for (const [name, values] of rows)
    out.push(`${name.padEnd(label)} ${values.map((v) => String(v).padStart(w)).join(' ')}`);
  return out.join('\n') + '\n';
}

export async function runFleet(
  values: readonly string[],
  settings: TraceSettings,
  configFile: string | undefined,
  args: ParsedArgs,
  io: CliIo,
): Promise<number> {
  if (stringOption(args, 'events-out') !== undefined)
    throw usageError(
      'trace',
      '--events-out is for one host; with --hosts use --save DIR (each capture keeps its events)',
    );
  const hosts = await expandHosts(values, configFile);
  const saveDir = stringOption(args, 'save');
  if (saveDir !== undefined)
    await mkdir(saveDir, { recursive: true }).catch((e: Error) => {
      throw usageError(saveDir, `cannot create the directory for the captures: ${e.message}`);
    });
  io.stderr(`xdp-lab: capturing on ${hosts.length} hosts: ${hosts.join(', ')}\n`);
  // Every host gets the same signal: Ctrl+C stops them all, each printing what it captured.
  const outcomes: HostOutcome[] = await Promise.all(
    hosts.map(async (host): Promise<HostOutcome> => {
      try {
        const capture = await captureHost(
          host,
          settings,
          (line) => io.stderr(`xdp-lab: [${host}] ${line}\n`),
          io.signal,
        );
        if (saveDir !== undefined)
          await writeFile(path.join(saveDir, fileNameOf(host)), JSON.stringify(capture.file, null, 1) + '\n');
        return { host, capture };
      } catch (e) {
        const error = e instanceof CliError ? e.why : e instanceof Error ? e.message : String(e);
        io.stderr(`xdp-lab: [${host}] failed: ${error}\n`);
        return { host, error };
      }
    }),
  );
  const captures = outcomes.flatMap((o) => ('capture' in o ? [o.capture] : []));
  const merged = fleetMerged(captures.map((c) => c.result.summary));
  if (args.options.get('json') === true)
    io.stdout(
      JSON.stringify(
        {
          merged,
          hosts: Object.fromEntries(
            outcomes.map((o) => [
              o.host,
              'capture' in o ? hostJson(o.capture) : { status: 'failed', error: o.error },
            ]),
          ),
        },
        null,
        2,
      ) + '\n',
    );
  else io.stdout(humanFleet(outcomes, merged));
  const failed = outcomes.filter((o) => 'error' in o).map((o) => o.host);
  const partial = captures.filter((c) => c.result.status !== 'complete').map((c) => c.hostText);
  if (failed.length || partial.length) {
    io.stderr(
      `xdp-lab: trace : ${[
        failed.length ? `${failed.length} of ${hosts.length} hosts failed (${failed.join(', ')})` : '',
        partial.length ? `incomplete on ${partial.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')}\n`,
    );
    return 1;
  }
  return 0;
}
