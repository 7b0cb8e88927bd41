// Where to connect: `[user@]host[:port]` typed by the user, or a `Host` alias of ~/.ssh/config
// (OpenSSH itself resolves HostName, User, Port, IdentityFile and ProxyJump for an alias, because
// we hand the alias to `ssh` unchanged). Validation keeps option injection out of ssh's argv.

export interface SshTarget {
  /** What ssh gets as its destination: an alias or a host name/address. */
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
}

/** A printable form for messages and the output channel. */
export function targetLabel(t: SshTarget): string {
  return `${t.user ? `${t.user}@` : ''}${t.host.includes(':') ? `[${t.host}]` : t.host}${t.port ? `:${t.port}` : ''}`;
}

/**
 * Parses `[user@]host[:port]` (IPv6 as `[addr]:port`). Returns a reason string when invalid: a
 * leading '-' (would be an ssh option), spaces or shell/ssh metacharacters, a bad port.
 */
export function parseSshTarget(text: string): SshTarget | string {
  const s = text.trim();
  if (!s) return 'empty host';
  let user: string | undefined;
  let rest = s;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    rest = s.slice(at + 1);
    if (!/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(user)) return `invalid user name '${user}'`;
  }
  let host = rest;
  let port: number | undefined;
  const v6 = /^\[([0-9A-Fa-f:.%a-z]+)\](?::(\d+))?$/.exec(rest);
  if (v6) {
    host = v6[1] as string;
    if (v6[2]) port = Number(v6[2]);
  } else {
    const c = rest.lastIndexOf(':');
    if (c >= 0) {
      if (rest.indexOf(':') !== c) return `'${rest}': write IPv6 addresses as [addr]:port`;
      host = rest.slice(0, c);
      const p = rest.slice(c + 1);
      if (!/^\d+$/.test(p)) return `invalid port '${p}'`;
      port = Number(p);
    }
    if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(host)) return `invalid host name '${host}'`;
  }
  if (port !== undefined && (port < 1 || port > 65535)) return `port ${port} is out of range 1-65535`;
  return { host, ...(user !== undefined ? { user } : {}), ...(port !== undefined ? { port } : {}) };
}

/** The concrete `Host` aliases of an ssh config text (patterns with * ? ! are skipped). */
export function sshConfigHosts(configText: string): string[] {
  const hosts: string[] = [];
  for (const raw of configText.split('\n')) {
    const line = raw.trim();
    const m = /^host\s*(?:=\s*|\s)(.*)$/i.exec(line);
    if (!m) continue;
    for (const h of (m[1] as string).split(/\s+/)) {
      if (h && !/[*?!]/.test(h) && !hosts.includes(h)) hosts.push(h.replace(/^"|"$/g, ''));
    }
  }
  return hosts;
}
