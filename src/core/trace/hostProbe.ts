// The capability probe of a remote host (issue #7 "Capability probe"): one POSIX sh script sent once
// per connection, printing `@@section` blocks, and the parser of its output. Captures are built only
// from what this finds: never a tracepoint the kernel lacks, never a device name not listed here.

export interface HostDevice {
  readonly ifindex: number;
  readonly name: string;
  /** Attached XDP program ids (native/generic/offload), from `ip -j link`. */
  readonly xdpProgIds: readonly number[];
  readonly xdpMode?: string;
}

export interface HostProgram {
  readonly id: number;
  readonly name: string;
  readonly type: string;
}

export interface HostProbe {
  readonly kernel: string;
  readonly uid: number;
  readonly user: string;
  /** `sudo -n true` succeeded. */
  readonly sudo: boolean;
  /** Root, or sudo allowed and permitted by the caller: commands can trace. */
  readonly canTrace: boolean;
  /** 'sudo -n' when commands must be prefixed, '' for root. */
  readonly sudoPrefix: '' | 'sudo -n';
  readonly bpftrace?: { path: string; version: string };
  readonly perf?: { path: string; version: string };
  readonly timeoutCmd: boolean;
  /** Mount point where events/xdp was found, if any. */
  readonly tracefs?: string;
  /** `xdp:NAME` tracepoints found (tracefs, else `perf list`). */
  readonly tracepoints: readonly string[];
  readonly devices: readonly HostDevice[];
  readonly programs: readonly HostProgram[];
  /** Things the probe could not learn, in plain words. */
  readonly notes: readonly string[];
}

/**
 * The probe script. `USE_SUDO=1` in its environment allows `sudo -n`. Only fixed text: nothing from
 * the user is interpolated (the caller sets USE_SUDO through a quoted assignment).
 */
export const hostProbeScript = `
PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"
uid=$(id -u)
SUDO=
sudo_ok=no
if [ "$uid" != 0 ] && [ "\${USE_SUDO:-0}" = 1 ] && command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then sudo_ok=yes; SUDO="sudo -n"; fi
echo @@kernel; uname -r
echo @@uid; echo "$uid"
echo @@user; id -un
echo @@sudo; echo "$sudo_ok"
echo @@bpftrace; if command -v bpftrace >/dev/null 2>&1; then command -v bpftrace; bpftrace --version 2>&1 | head -n 1; fi
echo @@perf; if command -v perf >/dev/null 2>&1; then command -v perf; perf --version 2>&1 | head -n 1; fi
echo @@timeout; command -v timeout
echo @@tracefs
found=
for d in $(awk '$3 == "tracefs" { print $2 }' /proc/mounts 2>/dev/null) /sys/kernel/tracing /sys/kernel/debug/tracing; do
  if $SUDO test -d "$d/events/xdp" 2>/dev/null; then echo "$d"; $SUDO ls "$d/events/xdp" 2>/dev/null; found=1; break; fi
done
echo @@perflist
if [ -z "$found" ] && command -v perf >/dev/null 2>&1; then $SUDO perf list --no-desc 'xdp:*' 2>/dev/null; fi
echo @@links; ip -j link show 2>/dev/null
echo @@progs; if command -v bpftool >/dev/null 2>&1; then $SUDO bpftool -j prog show 2>/dev/null; fi
echo
echo @@end
`;

function sections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of text.split('\n')) {
    const m = /^@@([a-z]+)$/.exec(line.trim());
    if (m) {
      cur = [];
      out.set(m[1] as string, cur);
    } else if (cur && line.trim()) cur.push(line.trim());
  }
  return out;
}

/** Parses the probe output; returns a reason when it is not a complete probe (connection cut). */
export function parseHostProbe(text: string, allowSudo: boolean): HostProbe | string {
  const s = sections(text);
  if (!s.has('end')) return 'the capability probe did not finish (connection closed or remote shell error)';
  const first = (k: string): string | undefined => s.get(k)?.[0];
  const notes: string[] = [];
  const uid = Number(first('uid') ?? NaN);
  const sudo = first('sudo') === 'yes';
  const tool = (k: string): { path: string; version: string } | undefined => {
    const lines = s.get(k) ?? [];
    return lines[0] ? { path: lines[0], version: lines[1] ?? '' } : undefined;
  };
  const tracefsLines = s.get('tracefs') ?? [];
  let tracepoints: string[] = [];
  let tracefs: string | undefined;
  if (tracefsLines.length) {
    tracefs = tracefsLines[0];
    tracepoints = tracefsLines
      .slice(1)
      .filter((n) => /^[a-z0-9_]+$/.test(n) && n !== 'enable' && n !== 'filter')
      .map((n) => `xdp:${n}`);
  } else {
    for (const line of s.get('perflist') ?? []) {
      const m = /^(xdp:[a-z0-9_]+)\b/.exec(line);
      if (m && !tracepoints.includes(m[1] as string)) tracepoints.push(m[1] as string);
    }
    notes.push(
      tracepoints.length
        ? 'tracefs not readable: tracepoints listed by perf list'
        : 'no xdp:* tracepoints found (tracefs not mounted or not readable, and perf list found none)',
    );
  }
  const devices: HostDevice[] = [];
  const links = s.get('links')?.join('');
  if (links) {
    try {
      const arr = JSON.parse(links) as unknown;
      if (Array.isArray(arr)) {
        for (const l of arr as Array<Record<string, unknown>>) {
          if (typeof l.ifindex !== 'number' || typeof l.ifname !== 'string') continue;
          const xdp = l.xdp as
            | { mode?: unknown; prog?: { id?: unknown }; attached?: Array<{ prog?: { id?: unknown } }> }
            | undefined;
          const ids: number[] = [];
          if (typeof xdp?.prog?.id === 'number') ids.push(xdp.prog.id);
          for (const a of xdp?.attached ?? [])
            if (typeof a.prog?.id === 'number' && !ids.includes(a.prog.id)) ids.push(a.prog.id);
          devices.push({
            ifindex: l.ifindex,
            name: l.ifname,
            xdpProgIds: ids,
            ...(typeof xdp?.mode === 'number' || typeof xdp?.mode === 'string'
              ? { xdpMode: String(xdp.mode) }
              : {}),
          });
        }
      }
    } catch {
      notes.push('ip -j link printed invalid JSON');
    }
  } else notes.push('ip -j link unavailable: device names unknown');
  const programs: HostProgram[] = [];
  const progs = s.get('progs')?.join('');
  if (progs) {
    try {
      const arr = JSON.parse(progs) as unknown;
      if (Array.isArray(arr))
        for (const p of arr as Array<Record<string, unknown>>)
          if (typeof p.id === 'number')
            programs.push({
              id: p.id,
              name: typeof p.name === 'string' ? p.name : '',
              type: typeof p.type === 'string' ? p.type : '',
            });
    } catch {
      notes.push('bpftool printed invalid JSON');
    }
  } else notes.push('bpftool not available (or not permitted): program names unknown');
  const root = uid === 0;
  return {
    kernel: first('kernel') ?? '?',
    uid,
    user: first('user') ?? '?',
    sudo,
    canTrace: root || (sudo && allowSudo),
    sudoPrefix: root ? '' : sudo && allowSudo ? 'sudo -n' : '',
    ...(tool('bpftrace') ? { bpftrace: tool('bpftrace') } : {}),
    ...(tool('perf') ? { perf: tool('perf') } : {}),
    timeoutCmd: Boolean(first('timeout')),
    ...(tracefs ? { tracefs } : {}),
    tracepoints,
    devices,
    programs,
    notes,
  };
}

/** Why this host cannot run a capture with `tool`, in words for the user; undefined when it can. */
export function cannotCapture(p: HostProbe, tool: 'bpftrace' | 'perf'): string | undefined {
  if (!p.canTrace)
    return p.sudo
      ? `user ${p.user} is not root; sudo -n works but is not allowed (enable xdpLab.capture.useSudo / pass --sudo)`
      : `user ${p.user} (uid ${p.uid}) is not root and cannot run 'sudo -n' without a password: tracing needs root (or passwordless sudo)`;
  if (tool === 'bpftrace' && !p.bpftrace)
    return `bpftrace is not installed on the host (not in the remote PATH)${p.perf ? '; perf is available: use --tool perf' : ''}`;
  if (tool === 'perf' && !p.perf)
    return `perf is not installed on the host (not in the remote PATH)${p.bpftrace ? '; bpftrace is available: use --tool bpftrace' : ''}`;
  if (!p.timeoutCmd)
    return 'the host has no `timeout` command (coreutils): captures cannot be bounded on the remote side';
  if (p.tracepoints.length === 0) return `kernel ${p.kernel} exposes no xdp:* tracepoints`;
  return undefined;
}

/** ifindex → name, for flows. */
export function deviceNames(p: HostProbe): Record<number, string> {
  const out: Record<number, string> = {};
  for (const d of p.devices) out[d.ifindex] = d.name;
  return out;
}
