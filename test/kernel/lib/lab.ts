// A throw-away network topology for one kernel test file: namespaces, veth pairs with explicit
// ifindexes (so tracepoint ifindexes are unique machine-wide), bpffs pin folders, temp files and
// background processes — all removed by dispose(), which also runs on process exit and signals.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inNetns, run, type RunOptions, type RunResult } from './exec';
import { acquireKernelLock } from './lock';
import { BPFFS, ensureMounts } from './probe';

/** One end of a veth pair. `ns` is the short namespace name given to lab.netns(); omit for the root namespace. */
export interface VethEnd {
  name: string;
  index: number;
  ns?: string;
  mtu?: number;
  /** Addresses in CIDR form, e.g. '10.61.0.1/24' (use only ranges private to your test). */
  addrs?: readonly string[];
}

export interface LinkSettings {
  up?: boolean;
  mtu?: number;
  /** GRO on/off (ethtool -K): native XDP_REDIRECT into a veth needs GRO or an XDP program on its peer. */
  gro?: boolean;
}

const live = new Set<Lab>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const lab of live) lab.dispose();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const lab of live) lab.dispose();
      process.kill(process.pid, sig);
    });
  }
}

export class Lab {
  /** A private scratch folder (removed by dispose). */
  readonly tmp: string;
  private readonly namespaces = new Set<string>();
  private readonly rootLinks = new Set<string>();
  private readonly pinDirs = new Set<string>();
  private readonly children = new Set<ChildProcess>();
  private disposed = false;

  /** `prefix` names everything this lab creates (netns `${prefix}${name}`, pins
   * /sys/fs/bpf/${prefix}${name}); leftovers with that prefix from a crashed run are removed first. */
  constructor(readonly prefix: string) {
    if (!/^[a-z0-9][a-z0-9-]{1,20}$/.test(prefix))
      throw new Error(`Lab prefix "${prefix}": use 2-21 chars of [a-z0-9-]`);
    const err = ensureMounts();
    if (err) throw new Error(err);
    hookExit();
    live.add(this);
    this.removeLeftovers();
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}`));
  }

  /** Full name of a namespace created by netns(short). */
  ns(short: string): string {
    return `${this.prefix}${short}`;
  }

  /** Creates namespace `${prefix}${short}` with lo up and IPv6 off (no stray ND/MLD frames in
   * captures); returns its full name. */
  netns(short: string): string {
    const full = this.ns(short);
    run(['ip', 'netns', 'add', full]);
    this.namespaces.add(full);
    this.exec(short, ['ip', 'link', 'set', 'dev', 'lo', 'up']);
    this.exec(short, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
    this.exec(short, ['sysctl', '-q', '-w', 'net.ipv6.conf.default.disable_ipv6=1']);
    return full;
  }

  /** Creates a veth pair with the given ifindexes, moves each end into its namespace, sets MTU and
   * addresses, and brings both ends up. */
  veth(a: VethEnd, b: VethEnd): void {
    for (const e of [a, b]) {
      if (e.name.length > 15) throw new Error(`interface name "${e.name}" is longer than 15 characters`);
      run(['ip', 'link', 'del', 'dev', e.name], { allowFailure: true }); // a leftover in the root ns
    }
    run([
      'ip',
      'link',
      'add',
      a.name,
      'index',
      String(a.index),
      'type',
      'veth',
      'peer',
      'name',
      b.name,
      'index',
      String(b.index),
    ]);
    for (const e of [a, b]) {
      if (e.ns) run(['ip', 'link', 'set', 'dev', e.name, 'netns', this.ns(e.ns)]);
      else this.rootLinks.add(e.name);
    }
    for (const e of [a, b]) {
      for (const cidr of e.addrs ?? []) this.addr(e.ns, e.name, cidr);
      this.link(e.ns, e.name, { mtu: e.mtu, up: true });
    }
  }

  /** Changes a link's state; `ns` is a short namespace name or undefined for the root namespace. */
  link(ns: string | undefined, dev: string, s: LinkSettings): void {
    if (s.mtu !== undefined) this.exec(ns, ['ip', 'link', 'set', 'dev', dev, 'mtu', String(s.mtu)]);
    if (s.gro !== undefined) this.exec(ns, ['ethtool', '-K', dev, 'gro', s.gro ? 'on' : 'off']);
    if (s.up !== undefined) this.exec(ns, ['ip', 'link', 'set', 'dev', dev, s.up ? 'up' : 'down']);
  }

  addr(ns: string | undefined, dev: string, cidr: string): void {
    this.exec(ns, ['ip', 'addr', 'add', cidr, 'dev', dev]);
  }

  /** Runs argv inside namespace `ns` (short name) through nsenter, so /sys/fs/bpf stays visible. */
  exec(ns: string | undefined, argv: readonly string[], opts?: RunOptions): RunResult {
    return run(inNetns(ns === undefined ? undefined : this.ns(ns), argv), opts);
  }

  /** The argv prefix for a command in namespace `ns` (short name), for spawning long-running tools. */
  nsArgv(ns: string | undefined, argv: readonly string[]): string[] {
    return inNetns(ns === undefined ? undefined : this.ns(ns), argv);
  }

  /** A fresh bpffs folder /sys/fs/bpf/${prefix}${name} (no dots: bpffs refuses them), removed on dispose. */
  pinDir(name: string): string {
    if (name.includes('.')) throw new Error(`pin folder "${name}": bpffs refuses names with dots`);
    const dir = path.join(BPFFS, `${this.prefix}${name}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    this.pinDirs.add(dir);
    return dir;
  }

  /** Registers a background process; dispose() kills its process group (spawn it with detached: true). */
  track<T extends ChildProcess>(child: T): T {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Removes everything this lab created. Safe to call twice and after partial failures. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    live.delete(this);
    for (const c of this.children) killGroup(c);
    for (const ns of this.namespaces) run(['ip', 'netns', 'del', ns], { allowFailure: true });
    for (const l of this.rootLinks) run(['ip', 'link', 'del', 'dev', l], { allowFailure: true });
    for (const d of this.pinDirs) fs.rmSync(d, { recursive: true, force: true });
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  private removeLeftovers(): void {
    const list = run(['ip', 'netns', 'list'], { allowFailure: true }).stdout;
    for (const line of list.split('\n')) {
      const name = line.split(' ')[0];
      if (name?.startsWith(this.prefix)) run(['ip', 'netns', 'del', name], { allowFailure: true });
    }
    for (const e of fs.readdirSync(BPFFS))
      if (e.startsWith(this.prefix)) fs.rmSync(path.join(BPFFS, e), { recursive: true, force: true });
  }
}

/** Kills a child's whole process group (falls back to the pid when it is not a group leader). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** Runs `body` with a fresh Lab under the machine-wide kernel lock; always disposes. Not for
 * concurrent use inside one process (the second call would wait for the first's lock). */
export async function withLab<T>(prefix: string, body: (lab: Lab) => Promise<T> | T): Promise<T> {
  const lock = await acquireKernelLock();
  let lab: Lab | undefined;
  try {
    lab = new Lab(prefix);
    return await body(lab);
  } finally {
    lab?.dispose();
    await lock.release();
  }
}
