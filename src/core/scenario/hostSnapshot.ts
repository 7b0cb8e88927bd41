// What `xdp-lab import` reads from a host: one fixed sh script (run over SSH, as root or `sudo -n`)
// printing `ip -j -d link show` and `ip -j netns list-id` of every network namespace (`ip -j netns
// list`, the login's own once), the NIC drivers (sysfs), and `bpftool -j prog/map show` + `map dump`
// of every program attached as XDP; and the parser of its sectioned output. Nothing user-given is
// interpolated into the script (USE_SUDO arrives as a quoted assignment, like hostProbe.ts).

/**
 * Sections are `@@xdp-lab KIND [ARG]` lines. Namespaces are entered with `ip -n` (reads) and
 * `ip netns exec` (sysfs, which it remounts for the namespace); the login's namespace has ARG ''.
 */
export const hostImportScript = `
PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"
S=
if [ "$(id -u)" != 0 ]; then
  if [ "\${USE_SUDO:-0}" = 1 ] && command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then S="sudo -n"
  else echo "@@xdp-lab missing root"; exit 0; fi
fi
command -v ip >/dev/null 2>&1 || { echo "@@xdp-lab missing ip"; exit 0; }
command -v bpftool >/dev/null 2>&1 || { echo "@@xdp-lab missing bpftool"; exit 0; }
DRV='for d in /sys/class/net/*; do n=\${d##*/}; v=$(readlink "$d/device/driver" 2>/dev/null); [ -n "$v" ] && echo "$n \${v##*/}"; done; true'
echo "@@xdp-lab kernel"; uname -r
echo "@@xdp-lab cpus"; getconf _NPROCESSORS_ONLN 2>/dev/null || nproc
echo "@@xdp-lab identify"; $S ip netns identify 2>/dev/null
echo "@@xdp-lab netns"; $S ip -j netns list 2>/dev/null
echo "@@xdp-lab link"; $S ip -j -d link show
echo "@@xdp-lab nsids"; $S ip -j netns list-id 2>/dev/null
echo "@@xdp-lab drivers"; sh -c "$DRV"
nss=$($S ip netns list 2>/dev/null | cut -d' ' -f1)
for ns in $nss; do
  echo "@@xdp-lab link $ns"; $S ip -n "$ns" -j -d link show
  echo "@@xdp-lab nsids $ns"; $S ip -n "$ns" -j netns list-id 2>/dev/null
  echo "@@xdp-lab drivers $ns"; $S ip netns exec "$ns" sh -c "$DRV" 2>/dev/null
done
ids=$( { $S ip -d -o link show; for ns in $nss; do $S ip -n "$ns" -d -o link show; done; } | grep -o 'prog/xdp[a-z]* id [0-9]*' | awk '{print $3}' | sort -un)
maps=
for id in $ids; do
  echo "@@xdp-lab prog $id"; $S bpftool -j prog show id "$id"
  maps="$maps $($S bpftool prog show id "$id" | grep -o 'map_ids [0-9,]*' | cut -d' ' -f2 | tr ',' ' ')"
done
for m in $(echo $maps | tr ' ' '\\n' | sort -un); do
  echo "@@xdp-lab map $m"; $S bpftool -j map show id "$m"
  echo "@@xdp-lab dump $m"; $S bpftool -j map dump id "$m" 2>/dev/null
done
echo "@@xdp-lab end"
`;

/** The host's answers, by section: `link` etc. keyed by namespace ('' = the login's), prog/map/dump by id. */
export interface HostSnapshot {
  kernel: string;
  cpus: number;
  /** The login's namespace name when it is a named one (`ip netns identify`), else ''. */
  loginNetns: string;
  netns: string[];
  links: Map<string, string>;
  nsids: Map<string, string>;
  drivers: Map<string, Map<string, string>>;
  progs: Map<number, string>;
  maps: Map<number, string>;
  dumps: Map<number, string>;
}

/** What the host lacks (`ip`, `bpftool`, root), or undefined. */
export function snapshotMissing(text: string): string | undefined {
  const m = /^@@xdp-lab missing (\S+)/m.exec(text);
  if (!m) return /^@@xdp-lab end$/m.test(text) ? undefined : 'output (the import script did not finish)';
  return m[1];
}

/** Splits the script's output into its sections. */
export function parseHostSnapshot(text: string): HostSnapshot {
  const snap: HostSnapshot = {
    kernel: '',
    cpus: 1,
    loginNetns: '',
    netns: [],
    links: new Map(),
    nsids: new Map(),
    drivers: new Map(),
    progs: new Map(),
    maps: new Map(),
    dumps: new Map(),
  };
  let kind = '';
  let arg = '';
  let body: string[] = [];
  const flush = (): void => {
    const t = body.join('\n').trim();
    const id = Number(arg);
    switch (kind) {
      case 'kernel':
        snap.kernel = t;
        break;
      case 'cpus':
        snap.cpus = Math.max(1, Math.min(256, Number.parseInt(t, 10) || 1));
        break;
      case 'identify':
        snap.loginNetns = t.split('\n')[0]?.trim() ?? '';
        break;
      case 'netns':
        snap.netns = jsonList(t)
          .map((n) => (typeof n === 'object' && n && 'name' in n ? String(n.name) : ''))
          .filter(Boolean);
        break;
      case 'link':
        snap.links.set(arg, t);
        break;
      case 'nsids':
        snap.nsids.set(arg, t);
        break;
      case 'drivers':
        snap.drivers.set(
          arg,
          new Map(
            t
              .split('\n')
              .map((l) => l.trim().split(/\s+/))
              .filter((p): p is [string, string] => p.length === 2),
          ),
        );
        break;
      case 'prog':
        snap.progs.set(id, t);
        break;
      case 'map':
        snap.maps.set(id, t);
        break;
      case 'dump':
        snap.dumps.set(id, t);
        break;
    }
  };
  for (const line of text.split('\n')) {
    const m = /^@@xdp-lab (\S+) ?(.*)$/.exec(line);
    if (!m) {
      body.push(line);
      continue;
    }
    flush();
    kind = m[1] as string;
    arg = (m[2] ?? '').trim();
    body = [];
  }
  flush();
  return snap;
}

/** A JSON array from a command's output ([] for empty or unparsable output). */
export function jsonList(text: string): unknown[] {
  if (!text.trim()) return [];
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v : [v];
  } catch {
    return [];
  }
}
