// `xdp-lab import` over SSH, shared by the CLI and the editor command: the local objects' program
// tags (ELF files under the given folders, linked as libbpf links them), then the import script
// (core/scenario/hostSnapshot.ts) in one ssh session — root or `sudo -n` — and the scenario built
// from its output. The host key must have been verified by the caller (checkHostKey).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { progTags } from '../../core/bpf/progTag';
import { loadObject } from '../../core/elf/loadObject';
import { kernelConfigOptions } from '../kernelConfig';
import { importHost, type HostImport, type LocalProgram } from '../../core/scenario/hostImport';
import { hostImportScript, parseHostSnapshot, snapshotMissing } from '../../core/scenario/hostSnapshot';
import { BpfSystem } from '../../core/vm/bpfSystem';
import { runRemoteScript, sshFailure, type SshOptions } from './sshSession';
import { targetLabel, type SshTarget } from './sshTarget';

/** The import cannot run: unreachable host, refused login, a tool missing on the host. One line. */
export class ImportError extends Error {}

/** What each missing thing means for the user. */
const missingText: Record<string, string> = {
  ip: 'the host has no ip command: install iproute2',
  bpftool:
    'the host has no bpftool: install bpftool (Debian/Ubuntu: apt install bpftool; Fedora: dnf install bpftool)',
  root: 'the login is not root and sudo -n is not allowed: log in as root or pass --sudo with passwordless sudo',
};

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
/** Files looked at per folder tree (a workspace can be big). */
const MAX_FILES = 20_000;

/** ELF objects under `dirs` (recursively, skipping node_modules and dot folders). */
export async function findObjects(dirs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  let seen = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (++seen > MAX_FILES) return;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && e.name !== 'node_modules') await walk(p);
      } else if (e.isFile() && e.name.endsWith('.o')) out.push(p);
    }
  };
  for (const d of dirs) await walk(d);
  return out;
}

/**
 * Each XDP program of each object with its kernel tags. Objects our loader cannot link are
 * skipped (named in `skipped`): the kernel's tag of their programs cannot be computed here.
 */
export async function localPrograms(
  files: readonly string[],
  relativeTo: string,
): Promise<{ programs: LocalProgram[]; skipped: string[] }> {
  const programs: LocalProgram[] = [];
  const skipped: string[] = [];
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch {
      continue;
    }
    if (!ELF_MAGIC.every((b, i) => bytes[i] === b)) continue;
    try {
      const obj = loadObject(bytes, {
        system: new BpfSystem({ possibleCpus: 1 }),
        name: path.basename(file).split('.')[0] || 'obj',
        // `.kconfig` externs resolved as `run` resolves them (their values do not enter the tag).
        ...kernelConfigOptions(),
      });
      const rel = path.relative(relativeTo, file) || path.basename(file);
      for (const p of obj.programs)
        programs.push({
          file: rel.split(path.sep).join('/'),
          function: p.name,
          tags: progTags(p.insns),
          maps: obj.maps.map((m) => m.name),
        });
    } catch (e) {
      skipped.push(`${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { programs, skipped };
}

export interface RemoteImportOptions {
  readonly sudo: boolean;
  readonly local: readonly LocalProgram[];
  readonly signal?: AbortSignal;
}

export async function importRemoteHost(
  t: SshTarget,
  o: SshOptions,
  opts: RemoteImportOptions,
): Promise<HostImport & { kernel: string }> {
  const r = await runRemoteScript(t, o, hostImportScript, {
    vars: { USE_SUDO: opts.sudo ? '1' : '0' },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const failure = sshFailure(r, t);
  if (failure) throw new ImportError(failure);
  const missing = snapshotMissing(r.stdout);
  if (missing)
    throw new ImportError(
      `${targetLabel(t)}: ${missingText[missing] ?? `incomplete ${missing}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').pop() ?? ''}` : ''}`}`,
    );
  const snap = parseHostSnapshot(r.stdout);
  return { ...importHost(snap, opts.local, targetLabel(t)), kernel: snap.kernel };
}
