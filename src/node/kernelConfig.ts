// The kernel config `.kconfig` externs read, found as libbpf's bpf_object__read_kconfig_file finds it
// (/boot/config-$(uname -r), else /proc/config.gz; gzip or plain text, as gzopen reads both), or the
// file the user gives (--kconfig FILE, the xdpLab.vm.kconfig setting); and the facts libbpf's virtual
// externs need (LINUX_KERNEL_VERSION from get_kernel_version's sources). Core takes the text.
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { gunzipSync } from 'node:zlib';
import { KconfigError, kconfigSourceOf, kernelVersionOf } from '../core/elf/kconfig';
import type { KconfigSource, KernelFacts } from '../core/elf/kconfig';

/** A config file that cannot be read: the message names the file and why. */
export class KernelConfigError extends Error {}

/** The config files libbpf tries, in its order. */
export function systemKconfigPaths(release = os.release()): string[] {
  return [`/boot/config-${release}`, '/proc/config.gz'];
}

/** The text of a config file, gunzipped when it is gzip (magic 1f 8b). */
export function readKconfigFile(file: string): KconfigSource {
  let bytes: Buffer;
  try {
    if (statSync(file).isDirectory())
      throw new KernelConfigError(`cannot read the kernel config ${file}: is a directory`);
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof KernelConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(e);
    throw new KernelConfigError(`cannot read the kernel config ${file}: ${why}`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new KernelConfigError(
        `cannot read the kernel config ${file}: bad gzip data (${(e as Error).message})`,
      );
    }
  }
  try {
    return kconfigSourceOf(bytes, file);
  } catch (e) {
    if (e instanceof KconfigError) throw new KernelConfigError(e.message);
    throw e;
  }
}

let system: KconfigSource | null | undefined;

/** The running kernel's config, read once per process; undefined when this host has none. */
export function systemKconfig(): KconfigSource | undefined {
  if (system === undefined) {
    system = null;
    for (const p of systemKconfigPaths()) {
      try {
        system = readKconfigFile(p);
        break;
      } catch {
        // libbpf: gzopen fails, try the next one
      }
    }
  }
  return system ?? undefined;
}

/** libbpf's arch_specific_syscall_pfx by Node's os.arch(). */
const SYSCALL_PFX: Readonly<Record<string, string>> = {
  x64: 'x64',
  ia32: 'ia32',
  s390x: 's390x',
  arm: 'arm',
  arm64: 'arm64',
  mips: 'mips',
  riscv64: 'riscv',
  ppc64: 'powerpc',
};

let syscallWrapper: boolean | undefined;

/**
 * libbpf's probe_kern_syscall_wrapper without making the probe: a kprobe PMU
 * (/sys/bus/event_source/devices/kprobe/type) or legacy kprobe_events in tracefs/debugfs, and the
 * arch's `__<pfx>_sys_bpf` among /proc/kallsyms (what a kprobe on it needs). Read once, when an
 * object has LINUX_HAS_SYSCALL_WRAPPER.
 */
export function hostHasSyscallWrapper(): boolean {
  if (syscallWrapper === undefined) {
    const pfx = os.platform() === 'linux' ? SYSCALL_PFX[os.arch()] : undefined;
    const kprobes = [
      '/sys/bus/event_source/devices/kprobe/type',
      '/sys/kernel/debug/tracing/kprobe_events',
      '/sys/kernel/tracing/kprobe_events',
    ].some((p) => existsSync(p));
    let found = false;
    if (pfx && kprobes) {
      try {
        found = readFileSync('/proc/kallsyms', 'latin1').includes(` __${pfx}_sys_bpf\n`);
      } catch {
        found = false;
      }
    }
    syscallWrapper = found;
  }
  return syscallWrapper;
}

let kallsymsTable: Map<string, bigint> | null | undefined;

/**
 * kallsyms_lookup_name by /proc/kallsyms, read once on first need (libbpf's
 * bpf_object__read_kallsyms_file reads the same file): a symbol's address (0 for a reader the kernel
 * hides addresses from), undefined when it is not listed; module symbols (`[mod]`) included.
 */
export function hostKallsyms(name: string): bigint | undefined {
  if (kallsymsTable === undefined) {
    try {
      kallsymsTable = new Map();
      for (const line of readFileSync('/proc/kallsyms', 'latin1').split('\n')) {
        const m = /^([0-9a-fA-F]+) \S (\S+)/.exec(line);
        if (m && !kallsymsTable.has(m[2] as string)) kallsymsTable.set(m[2] as string, BigInt(`0x${m[1]}`));
      }
    } catch {
      kallsymsTable = null;
    }
  }
  return kallsymsTable?.get(name);
}

/** LINUX_KERNEL_VERSION's sources: /proc/version_signature (Ubuntu), uname's version (Debian), the release. */
export function hostKernelFacts(): KernelFacts {
  let signature: string | undefined;
  try {
    signature = readFileSync('/proc/version_signature', 'utf8');
  } catch {
    signature = undefined;
  }
  const version = kernelVersionOf({
    release: os.release(),
    version: os.version(),
    ...(signature ? { signature } : {}),
  });
  return {
    ...(version && os.platform() === 'linux' ? { kernelVersion: version } : {}),
    ...(os.platform() === 'linux'
      ? { hasSyscallWrapper: hostHasSyscallWrapper, kallsyms: hostKallsyms }
      : {}),
    noConfigReason:
      os.platform() === 'linux'
        ? `neither ${systemKconfigPaths().join(' nor ')} can be read`
        : `${os.platform()} has no Linux kernel config`,
  };
}

/**
 * loadObject's `kconfig` (the running kernel's config, read lazily), `kconfigExtra` (the file given,
 * read now so that a bad path is reported whether or not the object needs it; libbpf's
 * bpf_object_open_opts.kconfig) and `kernelFacts`.
 */
export function kernelConfigOptions(file?: string): {
  kconfig: () => KconfigSource | undefined;
  kconfigExtra?: KconfigSource;
  kernelFacts: KernelFacts;
} {
  return {
    kconfig: systemKconfig,
    ...(file !== undefined ? { kconfigExtra: readKconfigFile(file) } : {}),
    kernelFacts: hostKernelFacts(),
  };
}
