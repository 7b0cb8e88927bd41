// Field access through a socket pointer (verifier.c check_sock_access, net/core/filter.c
// bpf_sock_is_valid_access / bpf_sock_common_is_valid_access): which bytes of uapi struct bpf_sock a
// program may read through PTR_TO_SOCKET and PTR_TO_SOCK_COMMON, and the kernel's complaints.
import { fail, regTypeStr } from './env';
import type { Reg } from './regState';

/** Offsets in uapi struct bpf_sock (Linux 6.18, 80 bytes). */
const BPF_SOCK = {
  family: 4,
  type: 8,
  protocol: 12,
  priority: 20,
  srcIp4: 24,
  srcIp6: 28,
  srcPort: 44,
  dstPort: 48,
  dstIp4: 52,
  dstIp6: 56,
  state: 72,
  rxQueueMapping: 76,
  size: 80,
} as const;

/** bpf_ctx_narrow_access_ok: a power-of-two size no wider than the field. */
const narrowOk = (size: number, fieldSize: number): boolean => size <= fieldSize && (size & (size - 1)) === 0;

const within = (off: number, start: number, len: number): boolean => off >= start && off < start + len;

/** bpf_sock_is_valid_access: the fields of struct bpf_sock a full socket reads. */
export function sockFieldOk(off: number, size: number): boolean {
  const S = BPF_SOCK;
  if (off < 0 || off >= S.size) return false;
  if (off % size !== 0) return false;
  // The 4-byte fields read whole or narrowed (state, family, type, protocol, src_port,
  // rx_queue_mapping at their first byte; the addresses at any byte of them).
  if (
    off === S.state ||
    off === S.family ||
    off === S.type ||
    off === S.protocol ||
    off === S.srcPort ||
    off === S.rxQueueMapping ||
    within(off, S.srcIp4, 4) ||
    within(off, S.srcIp6, 16) ||
    within(off, S.dstIp4, 4) ||
    within(off, S.dstIp6, 16)
  )
    return narrowOk(size, 4);
  // dst_port is a __be16 followed by 16 zero bits: a 4-byte read covers both, a narrow one the port.
  if (within(off, S.dstPort, 2)) return narrowOk(size, size === 4 ? 4 : 2);
  if (within(off, S.dstPort + 2, 2)) return false;
  // bound_dev_if, mark, priority: whole 4-byte reads only.
  return size === 4;
}

/** bpf_sock_common_is_valid_access: a sock_common lacks type, protocol, mark and priority. */
export function sockCommonFieldOk(off: number, size: number): boolean {
  if (off >= BPF_SOCK.type && off < BPF_SOCK.priority + 4) return false;
  return sockFieldOk(off, size);
}

/**
 * check_mem_access's type_is_sk_pointer branch and check_sock_access: `regno` (a non-NULL sock or
 * sock_common) read at `off` (the instruction's plus the register's) with `size` bytes.
 */
export function checkSockAccess(reg: Reg, regno: number, off: number, size: number, write: boolean): void {
  if (write) fail(`R${regno} cannot write into ${regTypeStr(reg)}`);
  // A socket pointer never carries a variable offset (its arithmetic is refused), but the kernel
  // checks the sign first all the same.
  if (reg.smin < 0n)
    fail(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  const ok = reg.type === 'sock_common' ? sockCommonFieldOk(off, size) : sockFieldOk(off, size);
  if (!ok) fail(`R${regno} invalid ${regTypeStr(reg)} access off=${off} size=${size}`);
}
