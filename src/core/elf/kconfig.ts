// libbpf's `.kconfig` externs (`extern int CONFIG_HZ __kconfig;`, LINUX_KERNEL_VERSION…): which
// externs an object has and where each lives in the `.kconfig` map (bpf_object__collect_externs), and
// their values from the kernel config text and libbpf's virtual LINUX_* externs
// (bpf_object__resolve_externs, bpf_object__process_kconfig_line, set_kcfg_value_*), with libbpf's
// rules and words. Pure: the host reads the config (/boot/config-$(uname -r), /proc/config.gz).
import { BTF_INT_SIGNED, BTF_KIND } from './btf';
import type { Btf } from './btf';
import type { ElfFile } from './elfFile';
import { SHN_UNDEF, STT_NOTYPE } from './elfFile';

/** libbpf's KCONFIG_SEC / KSYMS_SEC. */
export const KCONFIG_SEC = '.kconfig';
export const KSYMS_SEC = '.ksyms';

/** libbpf's enum kcfg_type (KCFG_UNKNOWN refuses the load). */
export type KcfgType = 'bool' | 'tristate' | 'char' | 'int' | 'chars';

/** One `__kconfig` extern and its slot in the `.kconfig` map. */
export interface KcfgExtern {
  name: string;
  /** ELF symbol index: relocations name the extern by it. */
  symIndex: number;
  weak: boolean;
  type: KcfgType;
  size: number;
  align: number;
  signed: boolean;
  /** kcfg.data_off: offset in the map's value. */
  offset: number;
}

/** One `__ksym` extern variable (typed: a BTF type other than void; typeless: `const void`). */
export interface KsymExtern {
  name: string;
  symIndex: number;
  weak: boolean;
  typed: boolean;
}

export interface ObjectExterns {
  kcfg: KcfgExtern[];
  ksyms: KsymExtern[];
  /** The `.kconfig` map's value size (0: no kcfg extern, no map). */
  kcfgSize: number;
}

/** Where the kernel config comes from, for values and messages. */
export interface KconfigSource {
  /** The config text (`CONFIG_X=y` lines, as /proc/config.gz holds after gunzip). */
  text: string;
  /** Where it was read ("/proc/config.gz", the --kconfig file): named in messages. */
  name: string;
}

/**
 * Where CONFIG_* values come from, in libbpf's order: `extra` (bpf_object_open_opts.kconfig: the
 * file the user gives), then, for externs it left unset, the system config (a function is called
 * only then: reading /proc/config.gz is not free).
 */
export interface KconfigSources {
  extra?: KconfigSource;
  system?: KconfigSource | (() => KconfigSource | undefined);
}

/** What resolveKconfig needs besides the config: libbpf's virtual externs. */
export interface KernelFacts {
  /** LINUX_KERNEL_VERSION as libbpf's get_kernel_version computes it (the host reads uname). */
  kernelVersion?: number;
  /**
   * LINUX_HAS_SYSCALL_WRAPPER as libbpf's probe_kern_syscall_wrapper finds it: a kprobe on
   * `__<arch>_sys_bpf` can be made (a host without kprobes says 0 although its kernel wraps syscalls);
   * a function is called only for an object that has the extern. Absent: 1, as on x86-64 6.18.
   */
  hasSyscallWrapper?: boolean | (() => boolean);
  /**
   * kallsyms_lookup_name as /proc/kallsyms answers it (the host reads it once): a typeless `__ksym`'s
   * address, and whether the kernel finds a typed one's (without CONFIG_KALLSYMS_ALL only text
   * symbols are listed). Absent (a browser): typeless ksyms read 0, typed ones are assumed found.
   */
  kallsyms?: (name: string) => bigint | undefined;
  /** Why there is no config, for a strong CONFIG_ extern's message ("neither /boot/config-R nor /proc/config.gz"). */
  noConfigReason?: string;
  /**
   * How the user gives a config where this host runs, ending that message (the CLI and the editor:
   * --kconfig FILE and xdpLab.vm.kconfig; the playground: a file opened in the page).
   */
  configHint?: string;
}

/** A refused `.kconfig` extern: the message is libbpf's pr_warn. */
export class KconfigError extends Error {}

/** configHint where the host says nothing: the CLI's option and the editor's setting. */
export const CLI_CONFIG_HINT = 'give one with --kconfig FILE (the xdpLab.vm.kconfig setting in the editor)';

/**
 * The config text of a file's bytes (gunzipped already: each host has its own gzip), as libbpf's
 * gzgets reads it line by line: latin-1, and bytes with a NUL are not a config (libbpf would stop
 * at it, and a binary file given by mistake is better named than half read).
 */
export function kconfigSourceOf(bytes: Uint8Array, name: string): KconfigSource {
  if (bytes.includes(0))
    throw new KconfigError(`cannot read the kernel config ${name}: it is binary, not CONFIG_X=… lines`);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 0x8000)));
  return { text, name };
}

/** libbpf's KERNEL_VERSION macro (the patch level saturates at 255). */
export function kernelVersionCode(major: number, minor: number, patch: number): number {
  return (major << 16) + (minor << 8) + Math.min(patch, 255);
}

/**
 * libbpf's get_kernel_version from what uname and /proc/version_signature say: Ubuntu's signature
 * ("Ubuntu 5.15.0-91.101-generic 5.15.131"), else Debian's "Debian x.y.z" in the version string, else
 * the release's x.y.z; 0 when none parses.
 */
export function kernelVersionOf(uts: { release: string; version?: string; signature?: string }): number {
  const triple = (m: RegExpMatchArray | null): number =>
    m ? kernelVersionCode(Number(m[1]), Number(m[2]), Number(m[3])) : 0;
  // fscanf "%*s %*s %u.%u.%u"
  const ubuntu = triple(uts.signature?.match(/^\s*\S+\s+\S+\s+(\d+)\.(\d+)\.(\d+)/) ?? null);
  if (ubuntu) return ubuntu;
  const debian = triple(uts.version?.match(/Debian (\d+)\.(\d+)\.(\d+)/) ?? null);
  if (debian) return debian;
  return triple(uts.release.match(/^(\d+)\.(\d+)\.(\d+)/));
}

/** The kernel whose verifier ours mirrors: LINUX_KERNEL_VERSION where the host cannot say (a browser). */
export const DEFAULT_KERNEL_VERSION = kernelVersionCode(6, 18, 0);

/** find_kcfg_type: the kind of value a kcfg extern of BTF type `id` holds. */
function kcfgType(btf: Btf, id: number, depth = 0): { type: KcfgType; signed: boolean } | undefined {
  const t = btf.resolve(id);
  if (!t || depth > 8) return undefined;
  switch (t.kind) {
    case BTF_KIND.INT: {
      const enc = t.int?.encoding ?? 0;
      const size = t.sizeOrType;
      if (enc & 4 /* BTF_INT_BOOL */) return size === 1 ? { type: 'bool', signed: false } : undefined;
      const signed = (enc & BTF_INT_SIGNED) !== 0;
      if (size === 1) return { type: 'char', signed };
      if (size < 1 || size > 8 || size & (size - 1)) return undefined;
      return { type: 'int', signed };
    }
    case BTF_KIND.ENUM:
      return t.sizeOrType === 4 && t.name === 'libbpf_tristate'
        ? { type: 'tristate', signed: false }
        : undefined;
    case BTF_KIND.ENUM64:
      return t.name === 'libbpf_tristate' ? { type: 'tristate', signed: false } : undefined;
    case BTF_KIND.ARRAY:
      if (!t.array || t.array.nelems === 0) return undefined;
      return kcfgType(btf, t.array.type, depth + 1)?.type === 'char'
        ? { type: 'chars', signed: false }
        : undefined;
    default:
      return undefined;
  }
}

/** btf__align_of for the types a kcfg extern may have. */
function alignOf(btf: Btf, id: number, depth = 0): number {
  const t = btf.resolve(id);
  if (!t || depth > 8) return 0;
  if (t.kind === BTF_KIND.ARRAY) return t.array ? alignOf(btf, t.array.type, depth + 1) : 0;
  return Math.min(8, t.sizeOrType);
}

/** libbpf's sym_is_extern: an undefined global or weak symbol without a type. */
const isExtern = (s: { shndx: number; bind: number; type: number }): boolean =>
  s.shndx === SHN_UNDEF && (s.bind === 1 || s.bind === 2) && s.type === STT_NOTYPE;

/**
 * bpf_object__collect_externs for the extern variables: each `.kconfig` extern typed and placed,
 * sorted as cmp_externs sorts them (alignment descending, size ascending, name), `.ksyms` variables
 * listed. Extern functions (kfuncs) are the linker's business and are skipped here.
 */
export function collectExterns(elf: ElfFile, btf: Btf | undefined): ObjectExterns {
  const kcfg: Omit<KcfgExtern, 'offset'>[] = [];
  const ksyms: KsymExtern[] = [];
  const kcfgSec = btf?.findDatasec(KCONFIG_SEC);
  const ksymSec = btf?.findDatasec(KSYMS_SEC);
  const varIn = (sec: typeof kcfgSec, name: string): number | undefined =>
    sec?.vars?.find((v) => {
      const t = btf?.type(v.type);
      return t?.kind === BTF_KIND.VAR && t.name === name;
    })?.type;
  for (const sym of elf.symbols) {
    if (!isExtern(sym) || !sym.name || !btf) continue;
    const weak = sym.bind === 2;
    const kvar = varIn(kcfgSec, sym.name);
    if (kvar !== undefined) {
      const t = btf.type(kvar);
      const vt = t?.sizeOrType ?? 0;
      const size = btf.sizeOf(vt) ?? 0;
      if (size <= 0) throw new KconfigError(`failed to resolve size of extern (kcfg) '${sym.name}': ${size}`);
      const kind = kcfgType(btf, vt);
      if (!kind) throw new KconfigError(`extern (kcfg) '${sym.name}': type is unsupported`);
      kcfg.push({ name: sym.name, symIndex: sym.index, weak, size, align: alignOf(btf, vt), ...kind });
      continue;
    }
    const svar = varIn(ksymSec, sym.name);
    if (svar !== undefined) {
      const t = btf.type(svar);
      ksyms.push({
        name: sym.name,
        symIndex: sym.index,
        weak,
        typed: (btf.resolve(t?.sizeOrType ?? 0)?.kind ?? 0) !== 0,
      });
    }
  }
  // cmp_externs: descending alignment, then ascending size, then name (strcmp: code-unit order).
  kcfg.sort((a, b) =>
    a.align !== b.align
      ? b.align - a.align
      : a.size !== b.size
        ? a.size - b.size
        : a.name < b.name
          ? -1
          : a.name > b.name
            ? 1
            : 0,
  );
  let off = 0;
  const placed = kcfg.map((e) => {
    const offset = Math.ceil(off / e.align) * e.align;
    off = offset + e.size;
    return { ...e, offset };
  });
  return { kcfg: placed, ksyms, kcfgSize: off };
}

/** libbpf's set_kcfg_value_tri: a y/n/m value. */
function setTri(e: KcfgExtern, data: Uint8Array, value: string): void {
  switch (e.type) {
    case 'bool':
      if (value === 'm')
        throw new KconfigError(`extern (kcfg) '${e.name}': value '${value}' implies tristate or char type`);
      data[e.offset] = value === 'y' ? 1 : 0;
      return;
    case 'tristate':
      // enum libbpf_tristate { TRI_NO = 0, TRI_YES = 1, TRI_MODULE = 2 }
      writeUint(data, e.offset, e.size, value === 'y' ? 1n : value === 'm' ? 2n : 0n);
      return;
    case 'char':
      data[e.offset] = value.charCodeAt(0);
      return;
    default:
      throw new KconfigError(
        `extern (kcfg) '${e.name}': value '${value}' implies bool, tristate, or char type`,
      );
  }
}

/** libbpf's set_kcfg_value_str: a quoted string into a char array, truncated to fit (a warning in libbpf). */
function setStr(e: KcfgExtern, data: Uint8Array, value: string): void {
  if (e.type !== 'chars')
    throw new KconfigError(`extern (kcfg) '${e.name}': value '${value}' implies char array type`);
  if (value.length < 2 || !value.endsWith('"'))
    throw new KconfigError(`extern (kcfg) '${e.name}': invalid string config '${value}'`);
  const len = Math.min(value.length - 2, e.size - 1);
  for (let i = 0; i < len; i++) data[e.offset + i] = value.charCodeAt(1 + i) & 0xff;
  data[e.offset + len] = 0;
}

/** libbpf's set_kcfg_value_num (is_kcfg_value_in_range included). */
function setNum(e: KcfgExtern, data: Uint8Array, value: bigint): void {
  if (e.type !== 'int' && e.type !== 'char' && e.type !== 'bool')
    throw new KconfigError(
      `extern (kcfg) '${e.name}': value '${value}' implies integer, char, or boolean type`,
    );
  if (e.type === 'bool' && value > 1n)
    throw new KconfigError(`extern (kcfg) '${e.name}': value '${value}' isn't boolean compatible`);
  const bits = BigInt(e.size * 8);
  const inRange =
    e.size === 8 ||
    (e.signed ? BigInt.asUintN(64, value + (1n << (bits - 1n))) < 1n << bits : value >> bits === 0n);
  if (!inRange)
    throw new KconfigError(`extern (kcfg) '${e.name}': value '${value}' doesn't fit in ${e.size} bytes`);
  writeUint(data, e.offset, e.size, value);
}

function writeUint(data: Uint8Array, off: number, size: number, v: bigint): void {
  let u = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++, u >>= 8n) data[off + i] = Number(u & 0xffn);
}

/**
 * libbpf's parse_u64 (strtoull with base 0, the whole value consumed): leading blanks, a sign
 * (a negative value wraps, as strtoull's does), 0x hex, 0 octal or decimal; undefined on anything
 * else or past 64 bits (ERANGE).
 */
export function parseU64(value: string): bigint | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(value);
  if (!m) return undefined;
  const digits = m[2] as string;
  const n = /^0[xX]/.test(digits)
    ? BigInt(digits)
    : digits.length > 1 && digits.startsWith('0')
      ? BigInt('0o' + digits.slice(1))
      : BigInt(digits);
  if (n >> 64n) return undefined;
  return m[1] === '-' ? BigInt.asUintN(64, -n) : n;
}

/** fgets into libbpf's PATH_MAX buffer: a line longer than 4095 bytes arrives as several pieces. */
const LINE_BUF = 4096;

/**
 * bpf_object__process_kconfig_line for every line of `text` (read_kconfig_file/_mem): sets the
 * externs it names that are not set yet, into `data`; `set` collects their names. A malformed line
 * (any CONFIG_ line without '=' or value, even for a name the object does not use) refuses the load,
 * as in libbpf.
 */
export function applyKconfigText(
  externs: readonly KcfgExtern[],
  data: Uint8Array,
  set: Set<string>,
  source: KconfigSource,
): void {
  const byName = new Map(externs.map((e) => [e.name, e]));
  let lineNo = 0;
  for (const whole of source.text.split(/(?<=\n)/)) {
    lineNo++;
    for (let at = 0; at < whole.length; at += LINE_BUF - 1) {
      const buf = whole.slice(at, at + LINE_BUF - 1);
      try {
        processLine(byName, data, set, buf);
      } catch (e) {
        if (!(e instanceof KconfigError)) throw e;
        throw new KconfigError(
          `error parsing Kconfig line ${lineNo} of ${source.name} '${clip(buf.replace(/\n$/, ''))}': ${e.message}`,
        );
      }
    }
  }
}

const clip = (s: string): string => (s.length > 120 ? `${s.slice(0, 120)}…` : s);

function processLine(
  byName: ReadonlyMap<string, KcfgExtern>,
  data: Uint8Array,
  set: Set<string>,
  buf: string,
): void {
  if (!buf.startsWith('CONFIG_')) return;
  const sep = buf.indexOf('=');
  if (sep < 0) throw new KconfigError(`failed to parse '${clip(buf.replace(/\n$/, ''))}': no separator`);
  const line = buf.endsWith('\n') ? buf.slice(0, -1) : buf;
  const name = line.slice(0, sep);
  const value = line.slice(sep + 1);
  if (!value) throw new KconfigError(`failed to parse '${name}': no value`);
  const e = byName.get(name);
  if (!e || set.has(name)) return;
  switch (value[0]) {
    case 'y':
    case 'n':
    case 'm':
      setTri(e, data, value[0]);
      break;
    case '"':
      setStr(e, data, value);
      break;
    default: {
      const num = parseU64(value);
      if (num === undefined)
        throw new KconfigError(`extern (kcfg) '${name}': value '${clip(value)}' isn't a valid integer`);
      if (e.type !== 'int' && e.type !== 'char')
        throw new KconfigError(`extern (kcfg) '${name}': value '${clip(value)}' implies integer type`);
      setNum(e, data, num);
    }
  }
  set.add(name);
}

/**
 * bpf_object__resolve_externs for the `.kconfig` map: the value of every kcfg extern in `data` (the
 * map's value, zeroed). Virtual externs first (LINUX_KERNEL_VERSION and LINUX_HAS_SYSCALL_WRAPPER
 * from the host's facts; LINUX_HAS_BPF_COOKIE 1, as libbpf's probe finds on the 6.18 kernel ours
 * mirrors), then CONFIG_* from the sources (the given config, then the system's); a weak extern left unset reads 0, a strong one refuses the
 * load. Without a config (a browser), CONFIG_* externs are unset: libbpf would fail to open the
 * system Kconfig; here weak ones read 0 and a strong one's message says how to give a config.
 */
export function resolveKconfig(
  externs: readonly KcfgExtern[],
  data: Uint8Array,
  sources: KconfigSources,
  facts: KernelFacts = {},
): void {
  const set = new Set<string>();
  let needConfig = false;
  for (const e of externs) {
    if (e.name.startsWith('CONFIG_')) {
      needConfig = true;
      continue;
    }
    let value = 0n;
    if (e.name === 'LINUX_KERNEL_VERSION') {
      value = BigInt(facts.kernelVersion ?? DEFAULT_KERNEL_VERSION);
      if (!value) throw new KconfigError(`extern (kcfg) '${e.name}': failed to get kernel version`);
    } else if (e.name === 'LINUX_HAS_BPF_COOKIE') value = 1n;
    else if (e.name === 'LINUX_HAS_SYSCALL_WRAPPER') {
      const w = facts.hasSyscallWrapper;
      value = (typeof w === 'function' ? w() : (w ?? true)) ? 1n : 0n;
    } else if (!e.name.startsWith('LINUX_') || !e.weak)
      throw new KconfigError(`extern (kcfg) '${e.name}': unrecognized virtual extern`);
    setNum(e, data, value);
    set.add(e.name);
  }
  const read: KconfigSource[] = [];
  if (needConfig && sources.extra) {
    applyKconfigText(externs, data, set, sources.extra);
    read.push(sources.extra);
    needConfig = externs.some((e) => !set.has(e.name));
  }
  if (needConfig && sources.system) {
    const system = typeof sources.system === 'function' ? sources.system() : sources.system;
    if (system) {
      applyKconfigText(externs, data, set, system);
      read.push(system);
    }
  }
  for (const e of externs) {
    if (set.has(e.name) || e.weak) continue;
    const why = read.length
      ? `${e.name} is not set in ${read.map((s) => s.name).join(' nor in ')}`
      : `no kernel config to read it from (${facts.noConfigReason ?? 'this host has none'}); ${facts.configHint ?? CLI_CONFIG_HINT}`;
    throw new KconfigError(`extern '${e.name}' (strong): not resolved: ${why}`);
  }
}
